//go:build tools

// Package tools pins Azure's KMS plugin (github.com/Azure/kubernetes-kms) as a dependency of this module, so that
// `go build github.com/Azure/kubernetes-kms/cmd/server` builds exactly the released v0.11.0 sources from the Go
// module proxy. Nothing here is compiled into a program: the build tag keeps the import for `go mod tidy` only.
package tools

import _ "github.com/Azure/kubernetes-kms/cmd/server"
