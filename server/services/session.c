/*
 * session.c - inspect.v1.Session: who the caller is (any role) and runtime
 * counters of this node (admin, auditor). Neither touches the store, which
 * makes WhoAmI the cheapest authenticated call a client can make to check
 * its credentials.
 */
#include "session.h"

#include "inspect/v1/session.pb-c.h"

static void whoami_start(ins_call *call, const ProtobufCMessage *req)
{
    (void)req;
    const ins_principal *p = ins_call_principal(call);
    Inspect__V1__WhoAmIResponse resp = INSPECT__V1__WHO_AM_IRESPONSE__INIT;
    resp.principal = (char *)p->name;
    resp.role = (Inspect__V1__Role)p->role;
    resp.department = (char *)p->department;
    resp.expires_unix = p->expires_unix;
    resp.auth_method = p->method == INS_AUTH_MTLS ? "mtls" : "bearer";
    resp.districts = (char *)p->districts;
    resp.node_district = (char *)ins_server_district(ins_call_server(call));
    ins_call_reply(call, &resp.base);
}

static void status_start(ins_call *call, const ProtobufCMessage *req)
{
    (void)req;
    ins_server_stats st;
    ins_server_get_stats(ins_call_server(call), &st);
    Inspect__V1__ServerStatusResponse resp = INSPECT__V1__SERVER_STATUS_RESPONSE__INIT;
    resp.version = INSPECT_VERSION;
    resp.started_unix = st.started_unix;
    resp.worker_threads = st.threads;
    resp.calls_started = st.calls_started;
    resp.calls_active = st.calls_active;
    resp.draining = ins_server_draining(ins_call_server(call)) != 0;
    resp.district = (char *)ins_server_district(ins_call_server(call));
    ins_call_reply(call, &resp.base);
}

static const ins_method_ops whoami_ops = {.start = whoami_start};
static const ins_method_ops status_ops = {.start = status_start};

static const ins_method_def session_methods[] = {
    {"WhoAmI", INS_UNARY, INS_ROLES_ANY, &whoami_ops},
    {"ServerStatus", INS_UNARY, INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_AUDITOR),
     &status_ops},
};

const ins_service_def ins_session_service = {
    .descriptor = &inspect__v1__session__descriptor,
    .methods = session_methods,
    .n_methods = sizeof session_methods / sizeof session_methods[0],
};
