import { type FormEvent, type ReactNode, useRef, useState } from "react";
import { useApi } from "../api/api-context.js";
import type { ApiError, Option, Settings, SettingsOptions } from "../api/client.js";
import { toApiError, useResource } from "../hooks/use-resource.js";
import { usePageState } from "../page-state.js";
import { ErrorNotice, LiveStatus, Loading } from "./feedback.js";

/** Field ownership (issue 18 #2): the groups the settings page offers, in its order. */
export const ownershipGroups: ReadonlyArray<[keyof Settings["ownership"], string]> = [
  ["content", "Nome e descrições"],
  ["images", "Imagens"],
  ["dimensions", "Pesos e dimensões"],
  ["price", "Preço"],
  ["stock", "Estoque"],
  ["active", "Ativo/inativo"],
  ["taxonomy", "Categoria e marca"],
];

/** Field paths exactly as the API's `errors` map names them. */
export type FieldPath =
  | "stock.depositIds"
  | "stock.balance"
  | "price.source"
  | "price.blingStoreId"
  | "price.zydonPriceTableId"
  | "price.jumpGuardPercent"
  | "orders.trigger"
  | "orders.zydonStatusId"
  | "nfe.enabled"
  | "nfe.approvedZydonStatusId";

const fieldPaths: FieldPath[] = [
  "stock.depositIds",
  "stock.balance",
  "price.source",
  "price.blingStoreId",
  "price.zydonPriceTableId",
  "price.jumpGuardPercent",
  "orders.trigger",
  "orders.zydonStatusId",
  "nfe.enabled",
  "nfe.approvedZydonStatusId",
];

const fieldIds: Record<FieldPath, string> = {
  "stock.depositIds": "zb-set-deposits",
  "stock.balance": "zb-set-balance",
  "price.source": "zb-set-price-source",
  "price.blingStoreId": "zb-set-store",
  "price.zydonPriceTableId": "zb-set-price-table",
  "price.jumpGuardPercent": "zb-set-price-guard",
  "orders.trigger": "zb-set-trigger",
  "orders.zydonStatusId": "zb-set-order-status",
  "nfe.enabled": "zb-set-nfe",
  "nfe.approvedZydonStatusId": "zb-set-nfe-status",
};

interface Draft {
  depositIds: string[];
  balance: Settings["stock"]["balance"];
  priceSource: Settings["price"]["source"];
  blingStoreId: string;
  zydonPriceTableId: string;
  /** The price-jump guard: on, and its percentage as typed. */
  jumpGuardOn: boolean;
  jumpGuardPercent: string;
  trigger: Settings["orders"]["trigger"];
  zydonStatusId: string;
  nfeEnabled: boolean;
  approvedZydonStatusId: string;
  ownership: Settings["ownership"];
}

type Errors = Partial<Record<FieldPath, string>>;

function toDraft(s: Settings): Draft {
  return {
    depositIds: s.stock.depositIds,
    balance: s.stock.balance,
    priceSource: s.price.source,
    blingStoreId: s.price.blingStoreId ?? "",
    zydonPriceTableId: s.price.zydonPriceTableId ?? "",
    jumpGuardOn: s.price.jumpGuardPercent !== null,
    jumpGuardPercent: String(s.price.jumpGuardPercent ?? 50),
    trigger: s.orders.trigger,
    zydonStatusId: s.orders.zydonStatusId ?? "",
    nfeEnabled: s.nfe.enabled,
    approvedZydonStatusId: s.nfe.approvedZydonStatusId ?? "",
    ownership: { ...s.ownership },
  };
}

/** Empty optional ids are left out: the API's schema takes a missing id, not an empty or null one. */
export function draftToSettings(d: Draft, paused: boolean): Settings {
  const opt = (v: string) => (v.trim() ? v.trim() : undefined);
  const blingStoreId = opt(d.blingStoreId);
  const zydonPriceTableId = opt(d.zydonPriceTableId);
  const zydonStatusId = opt(d.zydonStatusId);
  const approvedZydonStatusId = opt(d.approvedZydonStatusId);
  return {
    stock: { depositIds: d.depositIds.map((x) => x.trim()).filter(Boolean), balance: d.balance },
    price: {
      source: d.priceSource,
      ...(blingStoreId ? { blingStoreId } : {}),
      ...(zydonPriceTableId ? { zydonPriceTableId } : {}),
      jumpGuardPercent: d.jumpGuardOn ? Number(d.jumpGuardPercent.trim()) : null,
    },
    orders: { trigger: d.trigger, ...(zydonStatusId ? { zydonStatusId } : {}) },
    nfe: { enabled: d.nfeEnabled, ...(approvedZydonStatusId ? { approvedZydonStatusId } : {}) },
    ownership: d.ownership,
    paused,
  };
}

/** Bling ids are positive integers (the API's rule, packages/sync tenant-settings.ts `blingIdPattern`). */
const blingId = /^[1-9][0-9]{0,14}$/;

/**
 * The same conditional requirements and id formats as the API (packages/sync tenant-settings.ts), checked
 * before sending. Whether an id exists in Bling/Zydon only the API can say; its answer lands beside the field.
 */
export function validateDraft(d: Draft): Errors {
  const errors: Errors = {};
  const store = d.blingStoreId.trim();
  if (d.priceSource === "store" && !store)
    errors["price.blingStoreId"] = "Escolha a loja do Bling de onde vem o preço.";
  else if (store && !blingId.test(store))
    errors["price.blingStoreId"] =
      `Loja "${store.slice(0, 30)}" inválida: use o número da loja no Bling (só algarismos, como 203950523).`;
  if (d.jumpGuardOn) {
    const pct = Number(d.jumpGuardPercent.trim());
    if (!/^\d+$/.test(d.jumpGuardPercent.trim()) || pct < 5 || pct > 1000)
      errors["price.jumpGuardPercent"] = "Use uma porcentagem inteira entre 5% e 1000%.";
  }
  const badDeposit = d.depositIds.find((x) => !blingId.test(x.trim()));
  if (badDeposit !== undefined)
    errors["stock.depositIds"] =
      `Depósito "${badDeposit.trim().slice(0, 30)}" inválido: use o número do depósito no Bling (só algarismos, como 14886873).`;
  if (d.trigger === "from_status" && !d.zydonStatusId.trim())
    errors["orders.zydonStatusId"] = "Escolha o status a partir do qual o pedido é enviado.";
  if (d.nfeEnabled && !d.approvedZydonStatusId.trim())
    errors["nfe.approvedZydonStatusId"] =
      "Escolha o status do Zydon que indica pedido aprovado para emitir a NF-e.";
  if (d.depositIds.length > 20) errors["stock.depositIds"] = "Escolha no máximo 20 depósitos.";
  return errors;
}

/** API paths like "stock.depositIds.3" belong to the depositIds field; anything unknown goes to the summary. */
function splitServerErrors(map: Record<string, string>): { fields: Errors; other: string[] } {
  const fields: Errors = {};
  const other: string[] = [];
  for (const [path, message] of Object.entries(map)) {
    const field = fieldPaths.find((f) => path === f || path.startsWith(`${f}.`));
    if (field) fields[field] ??= message;
    else other.push(message);
  }
  return { fields, other };
}

export function SettingsPanel({ refreshKey }: { refreshKey: number }) {
  const api = useApi();
  const settings = useResource(() => api.getSettings(), String(refreshKey));
  const options = useResource(() => api.getSettingsOptions(), String(refreshKey));

  return (
    <section className="zb-card" aria-labelledby="zb-settings-title">
      <h2 id="zb-settings-title">Configurações</h2>
      {settings.loading || options.loading ? <Loading /> : null}
      {settings.error ? <ErrorNotice error={settings.error} onRetry={() => void settings.reload()} /> : null}
      {settings.data && !settings.loading && !options.loading ? (
        <SettingsForm
          // A fresh form per load: the draft starts from what is stored.
          key={refreshKey}
          initial={settings.data}
          options={options.data}
          optionsError={options.error}
        />
      ) : null}
    </section>
  );
}

function SettingsForm(props: {
  initial: Settings;
  options: SettingsOptions | null;
  optionsError: ApiError | null;
}) {
  const api = useApi();
  const pageState = usePageState();
  const [draft, setDraft] = useState<Draft>(() => toDraft(props.initial));
  const [paused, setPaused] = useState(props.initial.paused);
  const [errors, setErrors] = useState<Errors>({});
  const [otherErrors, setOtherErrors] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const [pausing, setPausing] = useState(false);
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  /** What the save would change, shown for confirmation before anything is saved. */
  const [effects, setEffects] = useState<string[] | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const options = props.options;

  // Editing after seeing the effect asks again: the preview was of the previous draft.
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setEffects(null);
    setDraft((d) => ({ ...d, [key]: value }));
  };

  function focusFirstError(found: Errors) {
    const first = fieldPaths.find((f) => found[f]);
    if (!first) return;
    // Run after React renders the messages, so the field's description is announced with it.
    setTimeout(() => {
      const el = formRef.current?.querySelector<HTMLElement>(`#${fieldIds[first]}`);
      el?.focus();
    }, 0);
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setStatus(null);
    setOtherErrors([]);
    const local = validateDraft(draft);
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setStatus({ message: "Revise os campos destacados. Nada foi salvo.", tone: "error" });
      focusFirstError(local);
      return;
    }
    const doc = draftToSettings(draft, paused);
    if (effects === null) {
      // A change that recomputes many records shows its effect first ("Isto muda o estoque de 106 produtos").
      let preview: Awaited<ReturnType<typeof api.previewSettings>> | null = null;
      try {
        preview = await api.previewSettings(doc);
      } catch (err) {
        const apiErr = toApiError(err);
        // Refused as the save would refuse it (an id Bling does not have): the errors, no confirmation.
        if (apiErr.kind === "validation") {
          const { fields, other } = splitServerErrors(apiErr.fieldErrors);
          setErrors(fields);
          setOtherErrors(other);
          focusFirstError(fields);
          setStatus({ message: apiErr.message, tone: "error" });
          return;
        }
        // No preview (an older API, a network hiccup): the save still validates everything.
      }
      if (preview && preview.effects.length > 0) {
        setEffects(preview.effects.map((e) => e.message));
        setTimeout(() => confirmRef.current?.focus(), 0);
        return;
      }
    }
    setEffects(null);
    setSaving(true);
    try {
      const saved = await api.saveSettings(doc);
      setDraft(toDraft(saved));
      setPaused(saved.paused);
      setStatus({ message: "Configurações salvas.", tone: "info" });
    } catch (err) {
      const apiErr = toApiError(err);
      if (apiErr.kind === "validation") {
        const { fields, other } = splitServerErrors(apiErr.fieldErrors);
        setErrors(fields);
        setOtherErrors(other);
        focusFirstError(fields);
      }
      setStatus({ message: apiErr.message, tone: "error" });
    } finally {
      setSaving(false);
    }
  }

  async function togglePause() {
    setPausing(true);
    setStatus(null);
    try {
      if (paused) await api.resume();
      else await api.pause();
      setPaused(!paused);
      setStatus({
        message: paused
          ? "Sincronização retomada: o que mudou no Bling durante a pausa está sendo aplicado (veja o aviso no topo)."
          : "Sincronização pausada. Nada é enviado ao Bling nem ao Zydon até você retomar.",
        tone: "info",
      });
      await pageState.reload();
    } catch (err) {
      setStatus({ message: toApiError(err).message, tone: "error" });
    } finally {
      setPausing(false);
    }
  }

  const err = (f: FieldPath) => errors[f];
  const describe = (f: FieldPath, hint?: string) => {
    const ids = [hint, errors[f] ? `${fieldIds[f]}-error` : undefined].filter(Boolean).join(" ");
    return ids ? { "aria-describedby": ids } : {};
  };
  const invalid = (f: FieldPath) => (errors[f] ? { "aria-invalid": true as const } : {});

  return (
    <>
      <div className="zb-pause" data-testid="pause-state" data-paused={String(paused)}>
        {/* What the integration is doing is the banner's (one state for the whole page); here only the switch. */}
        <p>
          {paused ? (
            <>
              <span className="zb-badge zb-badge--warn">Pausada</span> Nada é enviado ao Bling nem ao Zydon
              até você retomar.
            </>
          ) : (
            "Pausar interrompe o envio ao Bling e ao Zydon até você retomar; o que mudar no Bling nesse meio tempo é aplicado na retomada."
          )}
        </p>
        <button
          type="button"
          className={paused ? "zb-button" : "zb-button zb-button--secondary"}
          onClick={() => void togglePause()}
          // Before connecting (or after uninstalling) there is nothing to pause; a pause can always be lifted.
          disabled={pausing || (!paused && pageState.state?.canPause === false)}
          data-testid="pause-toggle"
        >
          {paused ? "Retomar sincronização" : "Pausar sincronização"}
        </button>
      </div>

      {!options ? (
        <p className="zb-notice zb-notice--warn" data-testid="options-fallback">
          {props.optionsError
            ? `Não foi possível carregar as listas do Bling e do Zydon (${props.optionsError.message}). `
            : "As listas de depósitos, lojas, status e tabelas de preço não estão disponíveis. "}
          Informe os identificadores manualmente.
        </p>
      ) : options.notes.length > 0 ? (
        <div className="zb-notice zb-notice--warn" data-testid="options-fallback">
          {options.notes.map((n) => (
            <p key={n}>{n}</p>
          ))}
          <p>Enquanto isso, os campos dessas listas aceitam o identificador digitado.</p>
        </div>
      ) : null}

      <form ref={formRef} className="zb-form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <fieldset>
          <legend>Estoque</legend>
          <DepositsField
            options={options?.deposits ?? null}
            value={draft.depositIds}
            onChange={(v) => set("depositIds", v)}
            error={err("stock.depositIds")}
          />
          <RadioGroup
            id={fieldIds["stock.balance"]}
            legend="Saldo enviado ao Zydon"
            name="balance"
            value={draft.balance}
            onChange={(v) => set("balance", v)}
            error={err("stock.balance")}
            choices={[
              { value: "virtual", label: "Saldo disponível (virtual: físico menos reservas)" },
              { value: "physical", label: "Saldo físico" },
            ]}
          />
        </fieldset>

        <fieldset>
          <legend>Preço</legend>
          <RadioGroup
            id={fieldIds["price.source"]}
            legend="De onde vem o preço"
            name="priceSource"
            value={draft.priceSource}
            onChange={(v) => set("priceSource", v)}
            error={err("price.source")}
            choices={[
              { value: "base", label: "Preço base do produto no Bling" },
              { value: "store", label: "Preço de uma loja do Bling (multiloja)" },
            ]}
          />
          {draft.priceSource === "store" ? (
            <>
              <ChoiceField
                id={fieldIds["price.blingStoreId"]}
                label="Loja do Bling"
                required
                options={options?.stores ?? null}
                value={draft.blingStoreId}
                onChange={(v) => set("blingStoreId", v)}
                error={err("price.blingStoreId")}
                placeholder="ID da loja no Bling"
                describe={describe("price.blingStoreId")}
                invalid={invalid("price.blingStoreId")}
              />
              <ChoiceField
                id={fieldIds["price.zydonPriceTableId"]}
                label="Tabela de preço do Zydon (opcional)"
                options={options?.priceTables ?? null}
                value={draft.zydonPriceTableId}
                onChange={(v) => set("zydonPriceTableId", v)}
                error={err("price.zydonPriceTableId")}
                placeholder="ID da tabela de preço no Zydon"
                hint="A integração só altera tabelas que ela mesma criou; tabelas criadas à mão nunca são sobrescritas."
                describe={describe("price.zydonPriceTableId", `${fieldIds["price.zydonPriceTableId"]}-hint`)}
                invalid={invalid("price.zydonPriceTableId")}
              />
            </>
          ) : null}
          <div className="zb-check">
            <input
              id="zb-set-price-guard-on"
              type="checkbox"
              checked={draft.jumpGuardOn}
              onChange={(e) => set("jumpGuardOn", e.target.checked)}
              aria-describedby="zb-set-price-guard-hint"
            />
            <label htmlFor="zb-set-price-guard-on">Reter mudanças grandes de preço para eu conferir</label>
          </div>
          {draft.jumpGuardOn ? (
            <div className="zb-field">
              <label htmlFor={fieldIds["price.jumpGuardPercent"]}>
                Reter quando o preço mudar mais de (%)
              </label>
              <input
                id={fieldIds["price.jumpGuardPercent"]}
                type="text"
                inputMode="numeric"
                value={draft.jumpGuardPercent}
                onChange={(e) => set("jumpGuardPercent", e.target.value)}
                {...describe("price.jumpGuardPercent", "zb-set-price-guard-hint")}
                {...invalid("price.jumpGuardPercent")}
              />
              <FieldError
                id={`${fieldIds["price.jumpGuardPercent"]}-error`}
                message={err("price.jumpGuardPercent")}
              />
            </div>
          ) : null}
          <p id="zb-set-price-guard-hint" className="zb-hint">
            Um preço que suba ou caia mais que isso de uma vez fica retido: o Zydon continua com o preço
            anterior e o Histórico mostra o de → para, com Aplicar ou Descartar. Os outros produtos seguem
            normalmente.
          </p>
        </fieldset>

        <fieldset>
          <legend>Pedidos</legend>
          <RadioGroup
            id={fieldIds["orders.trigger"]}
            legend="Quais pedidos do Zydon vão para o Bling"
            name="trigger"
            value={draft.trigger}
            onChange={(v) => set("trigger", v)}
            error={err("orders.trigger")}
            choices={[
              { value: "all", label: "Todos os pedidos novos" },
              { value: "from_status", label: "Somente quando o pedido chega a um status" },
            ]}
          />
          {draft.trigger === "from_status" ? (
            <ChoiceField
              id={fieldIds["orders.zydonStatusId"]}
              label="Status do Zydon que libera o envio"
              required
              options={options?.zydonStatuses ?? null}
              value={draft.zydonStatusId}
              onChange={(v) => set("zydonStatusId", v)}
              error={err("orders.zydonStatusId")}
              placeholder="ID do status no Zydon"
              hint="Vale para o pedido que chega a este status ou a um status depois dele no fluxo do Zydon (um pedido cancelado nunca é enviado)."
              describe={describe("orders.zydonStatusId", `${fieldIds["orders.zydonStatusId"]}-hint`)}
              invalid={invalid("orders.zydonStatusId")}
            />
          ) : null}
        </fieldset>

        <fieldset>
          <legend>NF-e</legend>
          <div className="zb-check">
            <input
              id={fieldIds["nfe.enabled"]}
              type="checkbox"
              checked={draft.nfeEnabled}
              onChange={(e) => set("nfeEnabled", e.target.checked)}
              {...describe("nfe.enabled")}
              {...invalid("nfe.enabled")}
            />
            <label htmlFor={fieldIds["nfe.enabled"]}>
              Emitir a NF-e no Bling quando o pedido for aprovado
            </label>
          </div>
          <FieldError id={`${fieldIds["nfe.enabled"]}-error`} message={err("nfe.enabled")} />
          {draft.nfeEnabled ? (
            <ChoiceField
              id={fieldIds["nfe.approvedZydonStatusId"]}
              label="Status do Zydon que indica pedido aprovado"
              required
              options={options?.zydonStatuses ?? null}
              value={draft.approvedZydonStatusId}
              onChange={(v) => set("approvedZydonStatusId", v)}
              error={err("nfe.approvedZydonStatusId")}
              placeholder="ID do status no Zydon"
              describe={describe("nfe.approvedZydonStatusId")}
              invalid={invalid("nfe.approvedZydonStatusId")}
            />
          ) : null}
        </fieldset>

        <fieldset data-testid="settings-ownership">
          <legend>Quem é dono de cada campo</legend>
          <p className="zb-hint" id="zb-set-ownership-hint">
            “O Zydon é dono”: o que você editar no Zydon fica como está, o app não sobrescreve. Um produto
            novo no Zydon ainda recebe os dados do Bling uma vez, ao ser criado.
          </p>
          {ownershipGroups.map(([group, title]) => (
            <div className="zb-field" key={group}>
              <label htmlFor={`zb-set-owner-${group}`}>{title}</label>
              <select
                id={`zb-set-owner-${group}`}
                value={draft.ownership[group]}
                aria-describedby="zb-set-ownership-hint"
                onChange={(e) =>
                  set("ownership", {
                    ...draft.ownership,
                    [group]: e.target.value === "zydon" ? "zydon" : "bling",
                  })
                }
              >
                <option value="bling">O app mantém igual ao Bling</option>
                <option value="zydon">O Zydon é dono (o app não altera)</option>
              </select>
            </div>
          ))}
        </fieldset>

        {otherErrors.length > 0 ? (
          <ul className="zb-notice zb-notice--error" data-testid="settings-other-errors">
            {otherErrors.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        ) : null}

        {effects ? (
          <div className="zb-confirm" data-testid="settings-effects">
            <p id="zb-settings-effects-q">
              <strong>Antes de salvar:</strong>
            </p>
            <ul>
              {effects.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
            <div className="zb-actions">
              <button
                type="submit"
                className="zb-button"
                ref={confirmRef}
                aria-describedby="zb-settings-effects-q"
                disabled={saving}
                data-testid="settings-confirm"
              >
                {saving ? "Salvando…" : "Confirmar e salvar"}
              </button>
              <button
                type="button"
                className="zb-button zb-button--secondary"
                onClick={() => {
                  setEffects(null);
                  setStatus({ message: "Nada foi salvo.", tone: "info" });
                }}
                disabled={saving}
              >
                Voltar sem salvar
              </button>
            </div>
          </div>
        ) : (
          <div className="zb-actions">
            <button type="submit" className="zb-button" disabled={saving} data-testid="settings-save">
              {saving ? "Salvando…" : "Salvar configurações"}
            </button>
          </div>
        )}
      </form>
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
    </>
  );
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="zb-field-error">
      {message}
    </p>
  );
}

function RadioGroup<V extends string>(props: {
  id: string;
  legend: string;
  name: string;
  value: V;
  onChange: (v: V) => void;
  error: string | undefined;
  choices: { value: V; label: string }[];
}) {
  const errorId = `${props.id}-error`;
  return (
    <fieldset
      className="zb-radios"
      aria-invalid={props.error ? true : undefined}
      aria-describedby={props.error ? errorId : undefined}
    >
      <legend>{props.legend}</legend>
      {props.choices.map((c, i) => (
        <div className="zb-check" key={c.value}>
          <input
            // The first radio carries the group's id so "focus the first invalid field" lands here.
            id={i === 0 ? props.id : `${props.id}-${c.value}`}
            type="radio"
            name={props.name}
            value={c.value}
            checked={props.value === c.value}
            onChange={() => props.onChange(c.value)}
          />
          <label htmlFor={i === 0 ? props.id : `${props.id}-${c.value}`}>{c.label}</label>
        </div>
      ))}
      <FieldError id={errorId} message={props.error} />
    </fieldset>
  );
}

function ChoiceField(props: {
  id: string;
  label: string;
  required?: boolean;
  options: Option[] | null;
  value: string;
  onChange: (v: string) => void;
  error: string | undefined;
  placeholder: string;
  hint?: ReactNode;
  describe: { "aria-describedby"?: string };
  invalid: { "aria-invalid"?: true };
}) {
  const { options } = props;
  const known = options?.some((o) => o.id === props.value) ?? true;
  return (
    <div className="zb-field">
      <label htmlFor={props.id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {options ? (
        <select
          id={props.id}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          required={props.required}
          {...props.describe}
          {...props.invalid}
        >
          <option value="">Selecione…</option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
          {!known && props.value ? <option value={props.value}>{props.value} (não encontrado)</option> : null}
        </select>
      ) : (
        <input
          id={props.id}
          type="text"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          placeholder={props.placeholder}
          required={props.required}
          autoComplete="off"
          {...props.describe}
          {...props.invalid}
        />
      )}
      {props.hint ? (
        <p id={`${props.id}-hint`} className="zb-hint">
          {props.hint}
        </p>
      ) : null}
      <FieldError id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

function DepositsField(props: {
  options: (Option & { isDefault: boolean })[] | null;
  value: string[];
  onChange: (v: string[]) => void;
  error: string | undefined;
}) {
  const id = fieldIds["stock.depositIds"];
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [hintId, props.error ? errorId : null].filter(Boolean).join(" ");
  const [text, setText] = useState(props.value.join(", "));
  const defaultDeposit = props.options?.find((d) => d.isDefault)?.name;
  const hint = (
    <p id={hintId} className="zb-hint">
      Os saldos dos depósitos escolhidos são somados. Sem nenhum, vale o depósito padrão do Bling
      {defaultDeposit ? ` (${defaultDeposit})` : ""}.
    </p>
  );

  if (!props.options) {
    return (
      <div className="zb-field">
        <label htmlFor={id}>Depósitos do Bling (IDs separados por vírgula)</label>
        <input
          id={id}
          type="text"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            props.onChange(
              e.target.value
                .split(",")
                .map((s) => s.trim())
                .filter(Boolean),
            );
          }}
          placeholder="Ex.: 14886873196, 14886873197"
          autoComplete="off"
          aria-describedby={described}
          aria-invalid={props.error ? true : undefined}
        />
        {hint}
        <FieldError id={errorId} message={props.error} />
      </div>
    );
  }

  const all = [
    ...props.options,
    ...props.value
      .filter((v) => !props.options?.some((o) => o.id === v))
      .map((v) => ({ id: v, name: `${v} (não encontrado no Bling)`, isDefault: false })),
  ];
  return (
    <fieldset
      className="zb-checks"
      aria-describedby={described}
      aria-invalid={props.error ? true : undefined}
    >
      <legend>Depósitos do Bling</legend>
      {all.length === 0 ? <p className="zb-hint">Nenhum depósito encontrado no Bling.</p> : null}
      {all.map((d, i) => {
        const checkboxId = i === 0 ? id : `${id}-${d.id}`;
        return (
          <div className="zb-check" key={d.id}>
            <input
              id={checkboxId}
              type="checkbox"
              checked={props.value.includes(d.id)}
              onChange={(e) =>
                props.onChange(
                  e.target.checked ? [...props.value, d.id] : props.value.filter((v) => v !== d.id),
                )
              }
            />
            <label htmlFor={checkboxId}>
              {d.name}
              {d.isDefault ? " (padrão)" : ""}
            </label>
          </div>
        );
      })}
      {hint}
      <FieldError id={errorId} message={props.error} />
    </fieldset>
  );
}
