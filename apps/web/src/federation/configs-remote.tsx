import { Configs } from "../configs.js";

// biome-ignore lint/style/noDefaultExport: App Center hosts load remote modules with React.lazy, which takes the default export
export default Configs;
export { Configs };
