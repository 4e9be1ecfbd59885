"""The Swedish language and nämnd-document domain: the bottom layer every other package uses.

It imports nothing else of the project: kommuner and organs, dnr/§/date/reference patterns,
the analyzer (stemming, compounds, stopwords), section labels, document types, roles,
parties, the spaCy helpers and the shared document model.
"""
