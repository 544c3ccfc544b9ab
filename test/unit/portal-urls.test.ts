import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  apiEndpoint, communityRepositoryUrl, parseChannel, portalBase, portalUrls, subscribedRepositoryUrl,
} from "../../src/portal/urls";

test("defaults: the real portals, SPEC §3.2 URLs", () => {
  assert.equal(portalUrls("enterprise", portalBase("enterprise", {})), {
    apiUrl: "https://my.nethesis.it/api/",
    alertsUrl: "https://my.nethesis.it/isa/",
    inventoryUrl: "https://my.nethesis.it/isa/inventory/store/",
    proxyUrl: "https://my.nethesis.it/proxy/",
  });
  assert.equal(portalUrls("community", portalBase("community", {})), {
    apiUrl: "https://my.nethserver.com/api/",
    alertsUrl: "https://my.nethserver.com/api/machine/",
    inventoryUrl: "https://my.nethserver.com/api/machine/inventories/store/",
  });
});

test("each override replaces scheme and host of every URL of its own portal only", () => {
  const env = { NS_PLUG_ENTERPRISE_PORTAL: "http://127.0.0.1:8443/", NS_PLUG_COMMUNITY_PORTAL: "" };
  const e = portalUrls("enterprise", portalBase("enterprise", env));
  for (const u of Object.values(e)) assert.ok(u!.startsWith("http://127.0.0.1:8443/"), u);
  assert.is(e.inventoryUrl, "http://127.0.0.1:8443/isa/inventory/store/");
  assert.is(portalBase("community", env), "https://my.nethserver.com");
  const c = portalUrls("community", portalBase("community", { NS_PLUG_COMMUNITY_PORTAL: "https://[::1]:9" }));
  assert.is(c.alertsUrl, "https://[::1]:9/api/machine/");
});

test("a bad override is refused with the variable's name", () => {
  for (const bad of ["ftp://x", "not a url", "https://u:p@host", "https://h/?q=1"]) {
    assert.throws(() => portalBase("enterprise", { NS_PLUG_ENTERPRISE_PORTAL: bad }), /NS_PLUG_ENTERPRISE_PORTAL/);
  }
});

test("apiEndpoint tolerates api_url with or without a trailing slash", () => {
  assert.is(apiEndpoint("https://h/api/", "Utils/freekey"), "https://h/api/Utils/freekey");
  assert.is(apiEndpoint("https://h/api", "/systems/info"), "https://h/api/systems/info");
});

test("repository URLs: the original's for plain secrets, percent-encoded credentials otherwise", () => {
  assert.is(
    subscribedRepositoryUrl("enterprise", "abc-123", "s3cr3t"),
    "https://abc-123:s3cr3t@distfeed.nethesis.it/repository/enterprise/nethsecurity",
  );
  const u = new URL(subscribedRepositoryUrl("community", "id", "a b:c@d/'$(x)"));
  assert.is(u.host, "distfeed.nethesis.it");
  assert.is(decodeURIComponent(u.password), "a b:c@d/'$(x)");
  assert.is(u.pathname, "/repository/community/nethsecurity");
  assert.is(communityRepositoryUrl(parseChannel("dev\n")), "https://updates.nethsecurity.nethserver.org/dev");
  assert.is(parseChannel(undefined), "stable");
  assert.is(parseChannel(""), "stable");
  assert.is(parseChannel("../../x"), "stable");
});

test.run();
