/** Name of the cookie that carries a dormer session; shared by the session code and the proxy's filter. */
export const SESSION_COOKIE = "dormer_session";
