from sklearn_multilabel.compare import main

if __name__ == "__main__":
    main()
