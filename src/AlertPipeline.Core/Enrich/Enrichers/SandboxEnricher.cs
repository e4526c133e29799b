using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich.Enrichers;

/// <summary>
/// Attributes events to sandboxes and adds the sandbox's team, owner and environment. Events that carry no
/// <c>sandbox.id</c> (firewall records know only addresses) are joined to the sandbox that held their
/// <c>source.ip</c> at event time. A <c>sandbox.id</c> claimed by sandbox telemetry is kept: the inventory
/// only adds context to it.
/// </summary>
public sealed class SandboxEnricher(SandboxSnapshot sandboxes) : IEnricher
{
    /// <inheritdoc />
    public void Enrich(EventBatch batch, int index)
    {
        SandboxRecord? sandbox;
        if (batch.Has(index, EcsField.SandboxId))
        {
            sandbox = sandboxes.Find(batch.Get(index, EcsField.SandboxId));
        }
        else
        {
            sandbox = batch.Has(index, EcsField.SourceIp)
                ? sandboxes.FindByAddress(batch.Get(index, EcsField.SourceIp), batch.Timestamp(index).UtcTicks)
                : null;

            // Falco, Tetragon and DCGM name the pod rather than (or besides) an address: a sandbox's pod carries its
            // inventory id as its name.
            if (sandbox is null && batch.Has(index, EcsField.OrchestratorResourceName))
            {
                sandbox = sandboxes.Find(batch.Get(index, EcsField.OrchestratorResourceName));
            }

            if (sandbox is not null)
            {
                batch.Set(index, EcsField.SandboxId, sandbox.Id);
            }
        }

        if (sandbox is null)
        {
            return;
        }

        SetIfPresent(batch, index, EcsField.SandboxTeam, sandbox.Team);
        SetIfPresent(batch, index, EcsField.SandboxOwner, sandbox.Owner);
        SetIfPresent(batch, index, EcsField.SandboxEnvironment, sandbox.Environment);
    }

    private static void SetIfPresent(EventBatch batch, int index, EcsField field, string? value)
    {
        if (value is not null)
        {
            batch.Set(index, field, value);
        }
    }
}
