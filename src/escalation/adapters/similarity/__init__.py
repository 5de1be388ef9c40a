"""Finding tickets that describe the same issue: text -> vectors -> matches and clusters.

`vectors` turns tickets into unit vectors (MiniLM sentence embedding + lexical sketch),
`cluster` groups them (average-link over a k-nearest-neighbour graph), `index` matches a new
ticket against everything indexed. The decisions made on the groups (signals, labels, derived
facts) are in the pure `escalation.domain.patterns`.
"""
