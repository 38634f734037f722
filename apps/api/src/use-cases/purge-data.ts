import type { PurgeDataResponse } from "@zb/contract";
import { purgeOnRequest, purgeSummaryPtBr } from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { disconnectBling } from "./bling-connection.js";
import { nowOf } from "./repos.js";

type Deps = Parameters<typeof disconnectBling>[0] & Pick<AppDeps, "now">;

/**
 * "Excluir meus dados" (issue 17 #7): Bling is disconnected first (tokens revoked at Bling and erased,
 * recurring work stopped, so nothing writes personal data back while it is deleted), then the personal data
 * is erased and the purge recorded (audit and one history row). The Zydon installation stays: uninstalling
 * is the merchant's act in Zydon.
 */
export async function purgeMyData(deps: Deps, tenantId: string): Promise<PurgeDataResponse> {
  const disconnected = await disconnectBling(deps, tenantId);
  const purged = await purgeOnRequest(deps.db.db, tenantId, deps.logger, nowOf(deps));
  return { purged, blingDisconnected: disconnected.wasConnected, message: purgeSummaryPtBr(purged) };
}
