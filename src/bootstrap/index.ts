/** The cloud-init builder: cloud providers render user-data with it; the local provider does not. */
export { renderUserData, ingressPorts, workloadPort, cloudProxyPort, CLOUD_PROXY_PORT } from './builder.js';
export { fitForProvider, PROVIDER_LIMITS, UserDataTooLargeError, type FittedUserData, type ProviderLimit } from './limits.js';
export { generateAgentToken, hashAgentToken, verifyAgentToken } from './agent-token.js';
export { upstreamAuthHeader, proxyHtpasswdLine, PROXY_USER } from './sha-crypt.js';
export { renderProxyServer, type ProxyConfigOptions } from './proxy-config.js';
export { AGENT_SCRIPT } from './agent-script.js';
export { PATHS, type BootstrapInput, type BootstrapOptions, type ImageOs, type RenderedUserData } from './types.js';
