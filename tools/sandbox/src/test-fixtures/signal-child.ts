// A stand-in for the API/worker: reports every signal it receives, exits shortly after the first.
let exiting = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    console.log(`child signal:${sig}`);
    if (exiting) return;
    exiting = true;
    setTimeout(() => process.exit(0), 300);
  });
}
setInterval(() => {}, 1_000);
console.log("child ready");
