from sklearn_multilabel.compare._cli import main

main()
