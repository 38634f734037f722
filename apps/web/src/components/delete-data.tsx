import { PURGE_CONFIRMATION_WORD } from "@zb/contract";
import { useEffect, useRef, useState } from "react";
import { useApi } from "../api/api-context.js";
import { LiveStatus } from "./feedback.js";

type Step = "idle" | "type-word" | "last-chance" | "deleting";

interface Props {
  /** Called after a purge (the host may reload what it shows). */
  onDeleted?: (() => void) | undefined;
}

/**
 * "Excluir meus dados" (issue 17 #7): the merchant erases, at once, the personal data the app keeps (buyers'
 * CPF/CNPJ, names and addresses, the history, received notifications) and the Bling credentials. Confirmed
 * twice: typing EXCLUIR (which the API checks too), then a last "this cannot be undone" step. The result
 * names what was deleted; the API records the purge.
 */
export function DeleteData({ onDeleted }: Props) {
  const api = useApi();
  const [step, setStep] = useState<Step>("idle");
  const [word, setWord] = useState("");
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const backRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (step === "type-word") inputRef.current?.focus();
    if (step === "last-chance") backRef.current?.focus();
  }, [step]);

  function cancel() {
    setStep("idle");
    setWord("");
  }

  async function purge() {
    setStep("deleting");
    setStatus(null);
    try {
      const r = await api.purgeMyData(word.trim());
      setStatus({ message: r.message, tone: "info" });
      onDeleted?.();
    } catch (err) {
      setStatus({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      setStep("idle");
      setWord("");
    }
  }

  return (
    <section className="zb-card" aria-labelledby="zb-delete-data-title" data-testid="delete-data">
      <h2 id="zb-delete-data-title">Excluir meus dados</h2>
      <p>
        Apaga agora os dados pessoais que o app guarda desta loja: CPF/CNPJ, nomes e endereços de clientes, o
        histórico de sincronização e as notificações recebidas. A conexão com o Bling é desfeita e as
        credenciais são apagadas. Produtos e pedidos já enviados continuam no Zydon e no Bling.
      </p>
      {step === "idle" || step === "deleting" ? (
        <button
          type="button"
          className="zb-button zb-button--danger"
          onClick={() => setStep("type-word")}
          disabled={step === "deleting"}
        >
          {step === "deleting" ? "Excluindo…" : "Excluir meus dados"}
        </button>
      ) : null}
      {step === "type-word" ? (
        <div role="dialog" aria-modal="true" aria-labelledby="zb-delete-data-step1" className="zb-confirm">
          <p id="zb-delete-data-step1">
            Para confirmar, digite <strong>{PURGE_CONFIRMATION_WORD}</strong> no campo abaixo.
          </p>
          <label>
            Confirmação
            <input
              ref={inputRef}
              type="text"
              value={word}
              autoComplete="off"
              onChange={(e) => setWord(e.target.value)}
            />
          </label>
          <button
            type="button"
            className="zb-button zb-button--danger"
            disabled={word.trim() !== PURGE_CONFIRMATION_WORD}
            onClick={() => setStep("last-chance")}
          >
            Continuar
          </button>
          <button type="button" className="zb-button zb-button--secondary" onClick={cancel}>
            Cancelar
          </button>
        </div>
      ) : null}
      {step === "last-chance" ? (
        <div
          role="alertdialog"
          aria-modal="true"
          aria-labelledby="zb-delete-data-step2"
          className="zb-confirm"
        >
          <p id="zb-delete-data-step2">
            Esta ação não pode ser desfeita. Os dados pessoais serão apagados agora e o Bling será
            desconectado.
          </p>
          <button type="button" className="zb-button zb-button--danger" onClick={() => void purge()}>
            Sim, excluir definitivamente
          </button>
          <button ref={backRef} type="button" className="zb-button zb-button--secondary" onClick={cancel}>
            Não, manter os dados
          </button>
        </div>
      ) : null}
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
    </section>
  );
}
