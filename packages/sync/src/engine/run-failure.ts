import { BlingError, BlingNetworkError, BlingRetryCapError, BlingValidationError } from "@zb/bling";
import { ZydonAuthError, ZydonError, ZydonNetworkError, ZydonRetryCapError } from "@zb/zydon";
import { z } from "zod";
import { actionOf, JobStalledError } from "./errors.js";

/**
 * Why a sync step stopped for good and what the merchant does next, both pt-BR. Stored as JSON in
 * `sync_runs.error` by the worker when the step's job gives up (InitialSyncOrchestrator.stop) and read back
 * by the API's progress view, which parses it with this schema.
 */
export const runFailureSchema = z.object({ reason: z.string().min(1), nextStep: z.string().min(1) });
export type RunFailure = z.infer<typeof runFailureSchema>;

/** `sync_runs.error` → the failure, or null when it holds nothing readable (never stored, or purged). */
export function readRunFailure(stored: string | null | undefined): RunFailure | null {
  if (!stored) return null;
  try {
    const parsed = runFailureSchema.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What "Tentar de novo" does on the page (the retry route continues the pass from its checkpoint). */
const RETRY = "Clique em “Tentar de novo”: a sincronização continua de onde parou.";

/** "na única tentativa" / "em 8 tentativas seguidas". */
function inAttempts(n: number): string {
  return n <= 1 ? "na única tentativa" : `em ${n} tentativas seguidas`;
}

/** Bling's own words for a refused request (pt-BR, no secrets), when it gave any. */
function blingWords(err: BlingError): string | null {
  if (err instanceof BlingValidationError) {
    const lines = err.fieldLines();
    if (lines.length > 0) return lines.slice(0, 2).join("; ");
  }
  return err.description?.trim() || null;
}

/**
 * The step's job gave up after `attempts` runs with `err`. The reason names who failed (Bling, Zydon or the
 * integration itself) and how, never a bare "erro desconhecido"; the next step is what actually moves the
 * sync again: reconnecting for an access Bling or Zydon refused, else "Tentar de novo".
 */
export function describeStepFailure(err: unknown, attempts: number): RunFailure {
  const action = actionOf(err);
  if (err instanceof ZydonAuthError)
    return {
      reason: "O Zydon recusou a chave de acesso do app (o app pode ter sido removido no App Center).",
      // A reinstall after an uninstall continues the pass by itself (apps/api queueCatchUp); else the button.
      nextStep:
        "Instale o app de novo pelo App Center do Zydon; se a sincronização não continuar sozinha, clique em “Tentar de novo”.",
    };
  if (action === "reconnect")
    return {
      reason: "O Bling não aceita mais o acesso desta integração (autorização expirada ou revogada).",
      nextStep: "Reconecte o Bling em Conexão: a sincronização continua em seguida.",
    };
  const support = "Se parar de novo no mesmo ponto, fale com o suporte informando o horário desta falha.";
  if (err instanceof BlingRetryCapError || err instanceof ZydonRetryCapError) {
    const who = err instanceof BlingError ? "Bling" : "Zydon";
    return {
      reason: `O ${who} falhou seguidamente na mesma consulta e a etapa foi interrompida para não insistir.`,
      nextStep: `${RETRY} Se o ${who} continuar instável, tente mais tarde.`,
    };
  }
  if (err instanceof BlingError || err instanceof ZydonError) {
    const who = err instanceof BlingError ? "Bling" : "Zydon";
    const status = err.status ?? null;
    const network = err instanceof BlingNetworkError || err instanceof ZydonNetworkError ? err : null;
    if (network || status === null)
      return {
        reason: `O ${who} não respondeu (${network?.timedOut ? "tempo esgotado" : "falha de conexão"}) ${inAttempts(attempts)}.`,
        nextStep: `${RETRY} Se o ${who} continuar fora do ar, tente mais tarde.`,
      };
    if (status >= 500 || status === 429)
      return {
        reason: `O ${who} respondeu com erro (HTTP ${status}) ${inAttempts(attempts)}.`,
        nextStep: `${RETRY} Se o ${who} continuar instável, tente mais tarde.`,
      };
    // A refusal (4xx, or an answer we cannot read): the vendor's own words when they are meaningful.
    const words = err instanceof BlingError ? blingWords(err) : err.zydonMessage?.trim() || null;
    return {
      reason: `O ${who} recusou uma consulta desta etapa (HTTP ${status}${words ? `: ${words}` : ""}).`,
      nextStep: `${RETRY} ${support}`,
    };
  }
  if (err instanceof JobStalledError)
    return {
      reason: `A etapa foi interrompida: o processo da integração parou ${err.stalls} vezes enquanto a executava (reinício ou falta de memória).`,
      nextStep: `${RETRY} ${support}`,
    };
  return {
    reason: `A etapa parou por uma falha interna da integração ${inAttempts(attempts)}.`,
    nextStep: `${RETRY} ${support}`,
  };
}
