/** BullMQ job ids may not contain ":" and may not be all digits. */
export function safeJobId(...parts: Array<string | number>): string {
  return `j_${parts.map((p) => String(p).replace(/[^A-Za-z0-9_.-]/g, "_")).join("_")}`;
}
