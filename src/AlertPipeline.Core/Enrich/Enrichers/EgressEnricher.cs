using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Enrichers;

/// <summary>
/// Judges an attributed sandbox's outbound destination against its inventory's allowed egress:
/// <c>destination.egress_allowed</c> is <c>true</c> or <c>false</c> for a public IPv4 or IPv6 destination or a named one
/// (<c>destination.domain</c>, <c>url.domain</c>, <c>tls.client.server_name</c>, <c>dns.question.name</c>); absent when
/// the sandbox has no egress policy or the destination is internal. Runs after <see cref="SandboxEnricher"/> and
/// <see cref="AddressClassEnricher"/>.
/// </summary>
public sealed class EgressEnricher(SandboxSnapshot sandboxes) : IEnricher
{
    private static readonly EcsField[] NameFields =
        [EcsField.DestinationDomain, EcsField.UrlDomain, EcsField.TlsClientServerName, EcsField.DnsQuestionName];

    /// <inheritdoc />
    public void Enrich(EventBatch batch, int index)
    {
        if (!batch.Has(index, EcsField.SandboxId))
        {
            return;
        }

        var sandbox = sandboxes.Find(batch.Get(index, EcsField.SandboxId));
        var policy = sandbox is null ? null : sandboxes.EgressOf(sandbox);
        if (policy is null || policy.IsEmpty)
        {
            return;
        }

        bool? allowed = null;
        foreach (var field in NameFields)
        {
            if (batch.Has(index, field))
            {
                allowed = policy.AllowsDomain(batch.Get(index, field));
                break;
            }
        }

        // An address the sandbox may reach allows the connection even when its name is not listed.
        if (batch.Get(index, EcsField.DestinationAddressClass) is "public")
        {
            allowed = (allowed ?? false) || policy.AllowsAddress(batch.Get(index, EcsField.DestinationIp));
        }

        if (allowed is { } verdict)
        {
            batch.Set(index, EcsField.DestinationEgressAllowed, verdict ? "true" : "false");
        }
    }
}
