/**
 * The controller feature's public face, for commands and rpcd (ns.plug).
 * Heavier modules (registration, push) are imported by the commands that
 * need them, so an rpcd call that only decodes a join code stays light.
 */
export { decodeJoinCode, JoinCodeError, type JoinCode } from "./joinCode";
export { controllerBase } from "./server";
export * from "./paths";
export { BOOT_MARKER } from "./pacing";
