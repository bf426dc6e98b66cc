//go:build tools

// Package tools pins Kubernetes' e2e suite (k8s.io/kubernetes/test/e2e) as a dependency of this module, so that
// `go test -c k8s.io/kubernetes/test/e2e` builds its conformance binary from the published modules. The harness
// has no Go code of its own.
package tools

import _ "k8s.io/kubernetes/test/e2e"
