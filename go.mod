module github.com/protocol-forge/protocol-forge

go 1.26.8
