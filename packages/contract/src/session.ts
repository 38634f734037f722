import { z } from "zod";
import { wireDate } from "./common.js";

/** `POST /api/session` body: the Zydon admin session the App Center host hands the page. */
export const sessionRequestSchema = z.object({
  organizationId: z.string().trim().min(1).max(100),
  accessToken: z.string().min(1).max(8_192),
});
export type SessionRequest = z.infer<typeof sessionRequestSchema>;

/**
 * `POST /api/session/launch` body: the launch session the install callback put in the page's fragment,
 * traded once (single use) for a page session.
 */
export const launchExchangeRequestSchema = z.object({ launchToken: z.string().min(1).max(2_048) });
export type LaunchExchangeRequest = z.infer<typeof launchExchangeRequestSchema>;

/** `POST /api/session` (and `/api/session/launch`) answer: our own short-lived app session for one tenant. */
export const sessionResponseSchema = z.object({
  token: z.string().min(1),
  expiresAt: wireDate,
  tenantId: z.string(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;
