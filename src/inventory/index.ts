/** The inventory feature's public face: what commands and the portal use. */
export { collectInventory, type Inventory } from "./collect";
export { FACTS_DIR } from "./facts";
export { buildPhonehome, FACTS_SCHEMA, type Phonehome } from "./phonehome";
