/**
 * Tencent Cloud API credentials and where they come from: a module of its
 * own, importing nothing, because config.ts reads them (and the API client,
 * which records metrics keyed by room layout, imports config.ts through that).
 */

export interface CloudCredentials {
  secretId: string;
  secretKey: string;
  /** Present with temporary credentials (an SCF execution role). */
  token?: string;
}

/** The execution role's variables (SCF sets them; users cannot), else the configured key pair. */
export function credentialsFromEnv(env: Record<string, string | undefined>, configured: { secretId?: string; secretKey?: string }): () => CloudCredentials | undefined {
  return () => {
    const roleId = env.TENCENTCLOUD_SECRETID?.trim();
    const roleKey = env.TENCENTCLOUD_SECRETKEY?.trim();
    if (roleId && roleKey) return { secretId: roleId, secretKey: roleKey, token: env.TENCENTCLOUD_SESSIONTOKEN?.trim() || undefined };
    if (configured.secretId && configured.secretKey) return { secretId: configured.secretId, secretKey: configured.secretKey };
    return undefined;
  };
}
