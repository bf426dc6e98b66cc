// Command envelope is the interop harness's driver over kube-apiserver's own envelope encryption code
// (k8s.io/apiserver): it loads an EncryptionConfiguration file with the same function kube-apiserver uses
// (encryptionconfig.LoadEncryptionConfig), so the KMS v1 and v2 prefix transformers, their gRPC clients of the
// plugin's unix socket and the provider order are upstream's, and transforms values of the `secrets` resource
// with the etcd key as authenticated data, as kube-apiserver's storage layer does.
//
//	envelope encrypt --config enc.yaml --context /registry/secrets/<ns>/<name> < plaintext > stored
//	envelope decrypt --config enc.yaml --context /registry/secrets/<ns>/<name> < stored > plaintext
//	envelope batch   --config enc.yaml < requests.json > results.json
//
// batch reads a JSON array of {"op": "encrypt"|"decrypt", "context": "<etcd key>", "data": "<base64>"} and writes
// one result per request: {"data": "<base64>", "stale": bool} or {"error": "..."}; one failed value does not stop
// the others. encrypt and decrypt exit 1 with upstream's error on stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/server/options/encryptionconfig"
	"k8s.io/apiserver/pkg/storage/value"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

type request struct {
	Op      string `json:"op"`
	Context string `json:"context"`
	Data    []byte `json:"data"`
}

type result struct {
	Data  []byte `json:"data,omitempty"`
	Stale bool   `json:"stale,omitempty"`
	Error string `json:"error,omitempty"`
}

// apiServerID is what kube-apiserver passes as its identity to the KMS v2 transformer (it only labels metrics).
const apiServerID = "aksemu-interop"

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: envelope encrypt|decrypt|batch --config FILE [--context ETCD_KEY]"))
	}
	mode := os.Args[1]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	configPath := flags.String("config", "", "EncryptionConfiguration file (apiserver.config.k8s.io/v1)")
	etcdKey := flags.String("context", "", "the etcd key the value is stored under: its authenticated data")
	_ = flags.Parse(os.Args[2:])
	if *configPath == "" {
		fail(errors.New("--config is required"))
	}

	// KMS v1 is deprecated and off by default since 1.29; AKS clusters before 1.27 use it, and kube-apiserver
	// serves it with --feature-gates=KMSv1=true, which is what this does.
	if err := utilfeature.DefaultMutableFeatureGate.Set("KMSv1=true"); err != nil {
		fail(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	config, err := encryptionconfig.LoadEncryptionConfig(ctx, *configPath, false, apiServerID)
	if err != nil {
		fail(err)
	}
	transformer := encryptionconfig.StaticTransformers(config.Transformers).TransformerForResource(schema.GroupResource{Resource: "secrets"})

	transform := func(op, key string, data []byte) result {
		dataCtx := value.DefaultContext(key)
		switch op {
		case "encrypt":
			out, err := transformer.TransformToStorage(ctx, data, dataCtx)
			if err != nil {
				return result{Error: err.Error()}
			}
			return result{Data: out}
		case "decrypt":
			out, stale, err := transformer.TransformFromStorage(ctx, data, dataCtx)
			if err != nil {
				return result{Error: err.Error()}
			}
			return result{Data: out, Stale: stale}
		default:
			return result{Error: fmt.Sprintf("unknown op %q", op)}
		}
	}

	switch mode {
	case "encrypt", "decrypt":
		if *etcdKey == "" {
			fail(errors.New("--context is required"))
		}
		in, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(err)
		}
		r := transform(mode, *etcdKey, in)
		if r.Error != "" {
			fail(errors.New(r.Error))
		}
		if _, err := os.Stdout.Write(r.Data); err != nil {
			fail(err)
		}
	case "batch":
		var reqs []request
		if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
			fail(fmt.Errorf("reading the requests: %w", err))
		}
		results := make([]result, len(reqs))
		for i, r := range reqs {
			results[i] = transform(r.Op, r.Context, r.Data)
		}
		if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "envelope:", err)
	os.Exit(1)
}
