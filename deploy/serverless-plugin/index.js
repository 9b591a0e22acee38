'use strict';
/**
 * The `tencent` provider for the Serverless Framework v3, kept in this
 * repository (serverless.yml `plugins: - ./deploy/serverless-plugin`).
 *
 * The Framework requires plain JavaScript; the plugin itself is TypeScript
 * (scripts/serverless-plugin.ts, next to the deploy code it calls), loaded
 * through tsx, the repository's own TypeScript runner. tsx's hook is
 * registered for the whole process (its scoped require tags module paths, which
 * breaks esbuild's lookup of its own binary).
 */
require('tsx/cjs/api').register();

module.exports = require('../../scripts/serverless-plugin.ts').TencentProvider;
