/**
 * A check of the phonehome facts document written from the schema itself,
 * https://schema.nethserver.org/facts/2022-12.json (NethServer/phonehome-server,
 * resources/validation/facts/2022-12.json, draft 2019-09). Only the
 * `nethsecurity` branch is checked in depth; the NS8 `cluster-facts` branch is
 * not what a unit sends. Returns the violations, [] when the document passes.
 *
 * What the schema says, rule by rule:
 *   required $schema, uuid, installation, facts; unevaluatedProperties: false
 *   $schema: string, format uri; uuid: string, format uuid
 *   installation: enum nethserver | nethsecurity; facts: object
 *   installation = nethsecurity → facts is host-info:
 *     required version, distro; version: string matching ^\d+\.\d+\.?\d*$
 *     distro: object, required name, version (declared strings; the schema
 *     spells that block "parameters", so a validator does not type them: we do)
 */
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function checkFacts202212(doc: unknown): string[] {
  const errs: string[] = [];
  if (!isObj(doc)) return ["document is not an object"];
  for (const k of ["$schema", "uuid", "installation", "facts"]) if (!(k in doc)) errs.push(`missing ${k}`);
  for (const k of Object.keys(doc)) {
    if (!["$schema", "uuid", "installation", "facts"].includes(k)) errs.push(`unevaluated property ${k}`);
  }
  if ("$schema" in doc && (typeof doc.$schema !== "string" || !URI.test(doc.$schema))) errs.push("$schema is not a URI");
  if ("uuid" in doc && (typeof doc.uuid !== "string" || !UUID.test(doc.uuid))) errs.push("uuid is not a UUID");
  if ("installation" in doc && doc.installation !== "nethserver" && doc.installation !== "nethsecurity") {
    errs.push("installation is not nethserver or nethsecurity");
  }
  if ("facts" in doc && !isObj(doc.facts)) errs.push("facts is not an object");
  if (doc.installation === "nethsecurity" && isObj(doc.facts)) {
    const f = doc.facts;
    if (!("version" in f)) errs.push("facts: missing version");
    else if (typeof f.version !== "string" || !/^\d+\.\d+\.?\d*$/.test(f.version)) errs.push("facts.version does not match ^\\d+\\.\\d+\\.?\\d*$");
    if (!("distro" in f)) errs.push("facts: missing distro");
    else if (!isObj(f.distro)) errs.push("facts.distro is not an object");
    else {
      for (const k of ["name", "version"]) {
        if (!(k in f.distro)) errs.push(`facts.distro: missing ${k}`);
        else if (typeof f.distro[k] !== "string") errs.push(`facts.distro.${k} is not a string`);
      }
    }
  }
  return errs;
}
