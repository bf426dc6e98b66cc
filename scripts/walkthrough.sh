#!/usr/bin/env bash
# The seed articles as one runnable walkthrough (docs/walkthrough.md explains each step and shows its output):
#   1. FIPS node pools (seeds 000 and 001)      2. Trusted Launch (seed 002)      3. KMS etcd encryption (seed 003)
# Every az command is the articles' own, run by the aksemu CLI (az's commands and flags); kubectl is the real one.
#
#   scripts/walkthrough.sh             starts a fresh instance (--speed instant) in a temporary directory, runs, stops it
#   AKSEMU_DATA_DIR=DIR scripts/...    uses the instance already running on DIR instead
#
# The walkthrough checks what the articles show (the enableFips tables, node names, fips_enabled = 1, the KMS table)
# and stops at the first difference (exit 1). HOME and KUBECONFIG are private to it: --generate-ssh-keys and
# `aks get-credentials` write there, not into your own ~/.ssh and ~/.kube.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLI="$ROOT/bin/aksemu.js"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aksemu-walkthrough-XXXXXX")"
export HOME="$WORK/home" KUBECONFIG="$WORK/home/.kube/config"
mkdir -p "$HOME"
cd "$WORK"

EMULATOR_PID=""
cleanup() {
  if [ -n "$EMULATOR_PID" ]; then kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${AKSEMU_DATA_DIR:-}" ]; then
  export AKSEMU_DATA_DIR="$WORK/data"
  node "$CLI" start --data-dir "$AKSEMU_DATA_DIR" --port 0 --speed instant >"$WORK/start.log" 2>&1 &
  EMULATOR_PID=$!
  for _ in $(seq 1 300); do grep -q '^aksemu ready' "$WORK/start.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '^aksemu ready' "$WORK/start.log" || { cat "$WORK/start.log" >&2; echo "aksemu did not start" >&2; exit 1; }
fi

# The articles' commands read as they are written: az is the aksemu CLI.
az() { node "$CLI" "$@"; }
aksemu() { node "$CLI" "$@"; }

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\n$ %s\n' "$*"; eval "$@"; }
fail() { printf '\nwalkthrough: %s\n' "$*" >&2; exit 1; }
# expect TEXT PATTERN WHAT: TEXT must match the extended regular expression PATTERN.
expect() { printf '%s\n' "$1" | grep -Eq "$2" || fail "expected $3, got:"$'\n'"$1"; }
# Prints and keeps a command's output.
capture() { printf '\n$ %s\n' "$*"; OUT="$(eval "$@")"; printf '%s\n' "$OUT"; }
first_node() { kubectl get nodes -l "kubernetes.azure.com/agentpool=$1" -o jsonpath='{.items[0].metadata.name}'; }
command -v kubectl >/dev/null 2>&1 || fail 'kubectl is needed (the articles use it)'

section "FIPS-enabled node pools (seeds 000 and 001)"
run az group create --name myResourceGroup --location eastus -o none
run az aks create --resource-group myResourceGroup --name myAKSCluster --node-count 1 --generate-ssh-keys -o none
run az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name fipsnp --enable-fips-image -o none
capture 'az aks show --resource-group myResourceGroup --name myAKSCluster --query="agentPoolProfiles[].{Name:name enableFips:enableFips}" -o table'
expect "$OUT" '^fipsnp +True$' 'fipsnp with enableFips True'
expect "$OUT" '^nodepool1 +False$' 'nodepool1 with enableFips False'
run az aks get-credentials --resource-group myResourceGroup --name myAKSCluster
capture kubectl get nodes
expect "$OUT" '^aks-fipsnp-[0-9]{8}-vmss[0-9a-z]{6} +Ready +agent' 'Ready FIPS nodes named aks-fipsnp-XXXXXXXX-vmssNNNNNN'
capture kubectl get nodes -l kubernetes.azure.com/fips_enabled=true -o name
expect "$OUT" '^node/aks-fipsnp-' 'the fips_enabled=true label on the FIPS nodes'
FIPS_NODE="$(first_node fipsnp)"
# The article's interactive session on the node (stdin piped: kubectl says it cannot use a TTY, the session is the same).
capture "printf 'cat /proc/sys/crypto/fips_enabled\\nexit\\n' | kubectl debug node/$FIPS_NODE -it --image=mcr.microsoft.com/dotnet/runtime-deps:6.0 2>/dev/null | tr -d '\\r'"
expect "$OUT" "^root@$FIPS_NODE:/# cat /proc/sys/crypto/fips_enabled$" 'the prompt root@<node>:/# of the debugging session'
expect "$OUT" '^1$' 'fips_enabled = 1 on a FIPS node'
# The same node through aksemu's own node shell.
capture aksemu node exec "$FIPS_NODE" -- openssl md4 /etc/hostname '2>&1 || true'
expect "$OUT" 'Error setting digest|unsupported|disabled for FIPS' 'MD4 refused on a FIPS node (SPEC F-7)'

run az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name fipsw --enable-fips-image --os-type Windows --node-count 1 -o none
capture aksemu node exec "$(first_node fipsw)" -- powershell -Command "'Get-ItemPropertyValue -Path HKLM:\\System\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy -Name Enabled'"
expect "$OUT" '^1' 'FIPSAlgorithmPolicy Enabled = 1 on the Windows FIPS node'

run az feature register --namespace "Microsoft.ContainerService" --name "MutableFipsPreview" -o none
until [ "$(az feature show --namespace Microsoft.ContainerService --name MutableFipsPreview --query properties.state -o tsv)" = Registered ]; do sleep 0.1; done
run az feature show --namespace "Microsoft.ContainerService" --name "MutableFipsPreview" -o table
run az provider register --namespace Microsoft.ContainerService

run az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name np --node-count 1 -o none
run az aks nodepool update --resource-group myResourceGroup --cluster-name myAKSCluster --name np --enable-fips-image -o none
capture 'az aks show --resource-group myResourceGroup --name myAKSCluster --query="agentPoolProfiles[].{Name:name enableFips:enableFips}" -o table'
expect "$OUT" '^np +True$' 'np with enableFips True after the update'
capture "printf 'cat /proc/sys/crypto/fips_enabled\\nexit\\n' | kubectl debug node/$(first_node np) -it --image=mcr.microsoft.com/dotnet/runtime-deps:6.0 2>/dev/null | tr -d '\\r'"
expect "$OUT" '^1$' 'fips_enabled = 1 on the reimaged pool'
run az aks nodepool update --resource-group myResourceGroup --cluster-name myAKSCluster --name np --disable-fips-image -o none
capture 'az aks show --resource-group myResourceGroup --name myAKSCluster --query="agentPoolProfiles[].{Name:name enableFips:enableFips}" -o table'
expect "$OUT" '^np +False$' 'np with enableFips False after disabling'

run "printf 'Welcome to a FIPS-enabled AKS node\\n' > ./newMOTD.txt"
run az aks nodepool add --name mynodepool1 --cluster-name myAKSCluster --resource-group myResourceGroup --node-count 1 --message-of-the-day ./newMOTD.txt -o none
capture aksemu node exec "$(first_node mynodepool1)" -- cat /etc/motd
expect "$OUT" 'Welcome to a FIPS-enabled AKS node' 'the message of the day on the node (SPEC C-6)'

section "Trusted Launch (seed 002)"
run az aks create --name myTLCluster --resource-group myResourceGroup --node-count 1 --enable-secure-boot --enable-vtpm --generate-ssh-keys -o none
printf '\n$ az aks nodepool add ... --enable-utcm    # the flag the article'"'"'s parameter list names\n'
if az aks nodepool add --resource-group myResourceGroup --cluster-name myTLCluster --name mynodepool --enable-utcm 2>"$WORK/utcm.err"; then fail "--enable-utcm was accepted"; fi
head -2 "$WORK/utcm.err"
expect "$(cat "$WORK/utcm.err")" "Did you mean '--enable-vtpm' \\?" 'the did-you-mean hint (SPEC T-1)'
run az aks nodepool add --resource-group myResourceGroup --cluster-name myTLCluster --name mynodepool --node-count 3 --enable-vtpm --enable-secure-boot -o none
capture az aks nodepool update --cluster-name myTLCluster --resource-group myResourceGroup --name mynodepool --disable-secure-boot --query securityProfile -o json
expect "$OUT" '"enableSecureBoot": false' 'Secure Boot off'
capture az aks nodepool update --cluster-name myTLCluster --resource-group myResourceGroup --name mynodepool --enable-secure-boot --query securityProfile -o json
expect "$OUT" '"enableSecureBoot": true' 'Secure Boot back on'
run az aks get-credentials --resource-group myResourceGroup --name myTLCluster
capture kubectl get nodes -l kubernetes.azure.com/trusted-launch=true -o name
if [ -n "$OUT" ]; then
  expect "$OUT" '^node/aks-mynodepool-' 'the trusted-launch label on the vTPM nodes (SPEC T-3)'
  TL_NODE="$(first_node mynodepool)"
  capture aksemu node exec "$TL_NODE" -- mokutil --sb-state
  expect "$OUT" '^SecureBoot enabled$' 'Secure Boot on in the node'
  capture aksemu node exec "$TL_NODE" -- cat /sys/class/tpm/tpm0/tpm_version_major
  expect "$OUT" '^2$' 'a TPM 2.0 (the vTPM) in the node'
else
  printf 'NOTE: this build does not label Trusted Launch nodes yet (the Trusted Launch module)\n'
fi

section "KMS etcd encryption with Azure Key Vault (seed 003)"
run az keyvault create --name MyKeyVault --resource-group myResourceGroup -o none
run az keyvault key create --name MyKeyName --vault-name MyKeyVault -o none
run "export KEY_ID=\$(az keyvault key show --name MyKeyName --vault-name MyKeyVault --query 'key.kid' -o tsv)"
run echo '$KEY_ID'
expect "$KEY_ID" '^https://mykeyvault\.vault\.azure\.net/keys/MyKeyName/[0-9a-f]{32}$' 'a Key Vault key id'
run az identity create --name MyIdentity --resource-group myResourceGroup -o none
run "IDENTITY_OBJECT_ID=\$(az identity show --name MyIdentity --resource-group myResourceGroup --query 'principalId' -o tsv)"
run "IDENTITY_RESOURCE_ID=\$(az identity show --name MyIdentity --resource-group myResourceGroup --query 'id' -o tsv)"
run az keyvault set-policy --name MyKeyVault --key-permissions decrypt encrypt --object-id '$IDENTITY_OBJECT_ID' -o none
run az aks create --name myKMSCluster --resource-group myResourceGroup --node-count 1 --assign-identity '$IDENTITY_RESOURCE_ID' --enable-azure-keyvault-kms --azure-keyvault-kms-key-vault-network-access '"Public"' --azure-keyvault-kms-key-id '$KEY_ID' --generate-ssh-keys -o none
run az aks get-credentials --resource-group myResourceGroup --name myKMSCluster
capture kubectl get po -n kube-system
expect "$OUT" '^konnectivity-agent-' 'konnectivity-agent pods (SPEC K-7)'
run kubectl create secret generic app-credentials --from-literal=password=s3cret
capture 'kubectl get secrets --all-namespaces -o json | kubectl replace -f -'
expect "$OUT" '^secret/app-credentials replaced$' 'the secrets rewritten'
# The secret as it is at rest in the cluster's etcd (aksemu store reads the instance's store): a KMS v2 envelope.
SECRET_KEY="$(aksemu store list /clusters/ | grep '/registry/secrets/default/app-credentials$')"
# (Only the envelope's prefix is printed: the rest is binary.)
capture "aksemu store get $SECRET_KEY | head -c 48 | grep -aoE '^(k8s:enc:kms:v2:[a-z0-9-]+:|.{24})'"
if [ "${OUT#k8s:enc:kms:}" != "$OUT" ]; then
  expect "$OUT" '^k8s:enc:kms:v2:azurekmsprovider-[0-9a-f]{8}:$' 'the secret encrypted at rest with KMS v2 (provider azurekmsprovider-<key hash>)'
  FIRST_ENVELOPE="$OUT"
else
  printf 'NOTE: this build stores secrets as they are (the KMS module)\n'
fi
run "export NEW_KEY_ID=\$(az keyvault key rotate --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv)"
run az aks update --name myKMSCluster --resource-group myResourceGroup --enable-azure-keyvault-kms --azure-keyvault-kms-key-vault-network-access '"Public"' --azure-keyvault-kms-key-id '$NEW_KEY_ID' -o none
run 'kubectl get secrets --all-namespaces -o json | kubectl replace -f -'
if [ -n "${FIRST_ENVELOPE:-}" ]; then
  capture "aksemu store get $SECRET_KEY | head -c 48 | grep -aoE '^(k8s:enc:kms:v2:[a-z0-9-]+:|.{24})'"
  expect "$OUT" '^k8s:enc:kms:v2:azurekmsprovider-[0-9a-f]{8}:$' 'the secret still encrypted with KMS v2'
  [ "$OUT" != "$FIRST_ENVELOPE" ] || fail "the secret should be re-encrypted under the new key version's provider, still $OUT"
fi
capture 'az aks list --query "[].{Name:name, KmsEnabled:securityProfile.azureKeyVaultKms.enabled, KeyId:securityProfile.azureKeyVaultKms.keyId}" -o table'
expect "$OUT" "^myKMSCluster +True +$NEW_KEY_ID\$" 'myKMSCluster with KMS on the new key version'
run az aks update --name myKMSCluster --resource-group myResourceGroup --disable-azure-keyvault-kms -o none
run 'kubectl get secrets --all-namespaces -o json | kubectl replace -f -'
capture "aksemu store get $SECRET_KEY | head -c 48 | grep -aoE '^(k8s:enc:kms:v2:[a-z0-9-]+:|.{24})'"
expect "$OUT" '^\{"apiVersion":"v1",' 'the secret in the clear again once KMS is off and the secrets rewritten'
capture 'az aks list --query "[?name=='"'"'myKMSCluster'"'"'].{Name:name, KmsEnabled:securityProfile.azureKeyVaultKms.enabled}" -o table'
expect "$OUT" '^myKMSCluster +False$' 'KMS disabled'

printf '\nwalkthrough: all steps done.\n'
