"""CEB messages: typed models, the XML/JSON codec, XSDs and receipts."""
