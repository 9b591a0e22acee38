/**
 * The two jose functions AUTH_MODE=jwt uses, in a module of their own so that
 * identity.ts can load them at the first JWT (a require() of this file) while
 * esbuild still bundles only what these two need from jose.
 */
export { createRemoteJWKSet, jwtVerify } from 'jose';
