module vulndb-index

go 1.26
