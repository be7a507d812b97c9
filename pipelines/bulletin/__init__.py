"""The monthly 通报: its content as data, the Word document, the Excel workbook, the file;
`python -m pipelines.bulletin`."""
