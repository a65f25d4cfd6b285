/**
 * Idle kept-alive connections between the gateway and the supervisor are closed by nginx, never by the
 * supervisor: when the server side closes one just as nginx sends a request on it, nginx sees the request
 * fail and retries it once on the next replica, and answers 502 if that attempt fails too. Node closes an
 * idle connection after 5 s by default and nginx keeps its idle upstream connections for 60 s, which made
 * that race a matter of time under steady traffic; the supervisor now outlasts the gateway.
 */
export const GATEWAY_UPSTREAM_IDLE_SECONDS = 30;
/** How long the supervisor keeps an idle client connection: past the gateway's GATEWAY_UPSTREAM_IDLE_SECONDS. */
export const SUPERVISOR_KEEPALIVE_MS = (GATEWAY_UPSTREAM_IDLE_SECONDS + 5) * 1000;
