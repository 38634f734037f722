import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client.js";
import { ErrorNotice } from "./feedback.js";

describe("ErrorNotice", () => {
  it("offers Tentar de novo for a passing failure", () => {
    const retry = vi.fn();
    render(<ErrorNotice error={new ApiError("network", "Sem comunicação.")} onRetry={retry} />);
    screen.getByRole("button", { name: "Tentar de novo" }).click();
    expect(retry).toHaveBeenCalledOnce();
    expect(screen.queryByTestId("reopen-hint")).toBeNull();
  });

  it("an app uninstalled from the organization says to come back through the App Center, with no retry", () => {
    const error = new ApiError(
      "http",
      "O app foi desinstalado desta organização. Instale-o novamente pelo App Center.",
      403,
      "tenant_uninstalled",
    );
    render(<ErrorNotice error={error} onRetry={() => undefined} />);
    expect(screen.getByRole("alert").textContent).toContain("Instale-o novamente pelo App Center.");
    expect(screen.getByTestId("reopen-hint").textContent).toContain("App Center da Zydon");
    expect(screen.queryByRole("button", { name: "Tentar de novo" })).toBeNull();
  });
});
