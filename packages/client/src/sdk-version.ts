/** The SDK's name and version as the Hello reports it; keep in step with package.json. */
export const SDK_VERSION = '@carillon/client 0.1.0';
