import { z } from "zod";
import { QUEUES } from "../queues/queues.js";
import { defineJob } from "./define-job.js";

/** Keep idle Bling connections alive (refresh before the refresh token expires). */
export const tokenKeepaliveJob = defineJob({
  name: "token-keepalive",
  queue: QUEUES.maintenance,
  lane: "catalog",
  needs: "nothing",
  schema: z.object({}),
  run: (_p, job) => job.maintenance.keepAliveAll(),
});

/** Purge the secrets of tenants uninstalled long enough ago. */
export const purgeSecretsJob = defineJob({
  name: "purge-secrets",
  queue: QUEUES.maintenance,
  lane: "catalog",
  needs: "nothing",
  schema: z.object({}),
  run: (_p, job) => job.maintenance.purgeSecrets(),
});

/**
 * Daily retention (issue 21 #6): processed webhook inbox rows, expired OAuth states, old finished sync runs
 * (each tenant's latest per entity kept) and old history rows (open failures and skips kept), in bounded batches.
 */
export const pruneRetentionJob = defineJob({
  name: "prune-retention",
  queue: QUEUES.maintenance,
  lane: "catalog",
  needs: "nothing",
  schema: z.object({}),
  run: (_p, job) => job.maintenance.pruneRetention(),
});
