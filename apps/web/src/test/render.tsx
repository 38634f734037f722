import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { ApiProvider } from "../api/api-context.js";
import { ApiClient } from "../api/client.js";
import { apiBase, hostSession } from "./server.js";

export function renderWithApi(ui: ReactElement) {
  const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
  return { client, ...render(<ApiProvider client={client}>{ui}</ApiProvider>) };
}
