/**
 * The first words of the az-compatible commands. main.ts reads this small list to load only the az command tree
 * when the arguments name one of them (every aksemu invocation in a script starts a process, so start time
 * counts); test/cli/parse-args.test.ts checks it against the command table.
 */
export const AZ_TOP_LEVEL = ['account', 'ad', 'aks', 'extension', 'feature', 'group', 'identity', 'keyvault', 'login', 'logout', 'provider', 'role'];
