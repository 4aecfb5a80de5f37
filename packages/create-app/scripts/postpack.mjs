// `postpack`: remove template/ (and starter-build.json) once the tarball is written, so the checkout holds one copy of the starter (tools
// like Biome would otherwise find a second root config inside template/).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/source.mjs';
import { BUILD_INFO_FILE } from '../src/starter-info.mjs';

rmSync(path.join(packageRoot, 'template'), { recursive: true, force: true });
rmSync(path.join(packageRoot, BUILD_INFO_FILE), { force: true });
