import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import { DetailedDiffResult, DiffKind } from "./diff";

const KINDS: Record<DiffKind, provproto.PropertyDiff.Kind> = {
    add: provproto.PropertyDiff.Kind.ADD,
    "add-replace": provproto.PropertyDiff.Kind.ADD_REPLACE,
    delete: provproto.PropertyDiff.Kind.DELETE,
    "delete-replace": provproto.PropertyDiff.Kind.DELETE_REPLACE,
    update: provproto.PropertyDiff.Kind.UPDATE,
    "update-replace": provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

/** The whole DiffResponse, as a terraform-bridge provider sends it: changed keys and a detailed diff included. */
export function diffResponse(result: DetailedDiffResult): provproto.DiffResponse {
    const resp = new provproto.DiffResponse();
    resp.setChanges(
        result.changes === true
            ? provproto.DiffResponse.DiffChanges.DIFF_SOME
            : result.changes === false
              ? provproto.DiffResponse.DiffChanges.DIFF_NONE
              : provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN,
    );
    resp.setReplacesList(result.replaces ?? []);
    resp.setDeletebeforereplace(result.deleteBeforeReplace ?? false);
    resp.setDiffsList(result.diffs ?? []);
    if (result.detailedDiff !== undefined) {
        resp.setHasdetaileddiff(true);
        const map = resp.getDetaileddiffMap();
        for (const [key, kind] of Object.entries(result.detailedDiff)) {
            // The stand-ins compare the stored state with the new inputs, as the bridge does.
            map.set(key, new provproto.PropertyDiff().setKind(KINDS[kind]).setInputdiff(false));
        }
    }
    return resp;
}

/**
 * `provider.main` of @pulumi/pulumi 3.259 builds its DiffResponse from `changes`, `replaces` and
 * `deleteBeforeReplace` only, so changed keys and the detailed diff never reached the engine and a preview
 * could not say which property changed. The Diff method is answered here instead, with the same request
 * decoding; every other method stays the SDK's.
 */
export function serve(prov: provider.Provider, args: string[]): Promise<void> {
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service, implementation) {
        if (service === provrpc.ResourceProviderService) {
            // Everything but diff is inherited from the SDK's server object, so its methods keep their state.
            implementation = Object.create(implementation, {
                diff: {
                    value: (call: grpc.ServerUnaryCall<provproto.DiffRequest, provproto.DiffResponse>, callback: grpc.sendUnaryData<provproto.DiffResponse>) => {
                        const req = call.request;
                        const olds = req.getOlds()?.toJavaScript() ?? {};
                        const news = req.getNews()?.toJavaScript() ?? {};
                        Promise.resolve(prov.diff?.(req.getId(), req.getUrn(), olds, news) ?? {})
                            .then((result) => callback(null, diffResponse(result as DetailedDiffResult)))
                            .catch((err: Error) => callback({ code: grpc.status.UNKNOWN, message: err.message }, null));
                    },
                },
            }) as grpc.UntypedServiceImplementation;
        }
        addService.call(this, service, implementation);
    };
    return provider.main(prov, args);
}
