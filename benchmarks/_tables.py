"""Markdown tables shared by the benchmark scripts."""


def markdown_table(rows, columns, formats):
    """Render rows as a GitHub markdown table.

    Parameters
    ----------
    rows : list of dict
    columns : list of str
    formats : dict of str to str
        Format spec per column; plain ``str`` for the others.

    Returns
    -------
    table : str
    """
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [format(row[c], formats.get(c, "")) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
