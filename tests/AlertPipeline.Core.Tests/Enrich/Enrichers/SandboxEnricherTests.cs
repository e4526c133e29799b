using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Enrich.Enrichers;

public sealed class SandboxEnricherTests
{
    private static readonly DateTimeOffset Incident = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    // 10.40.77.31 was reused: another sandbox held it until the day before the incident.
    private static readonly SandboxSnapshot Inventory = new(
    [
        new SandboxRecord
        {
            Id = "rl-env-7731", Team = "rl", Owner = "RL lead", Environment = "training",
            Addresses = [new SandboxAddress("10.40.77.31", Incident.AddDays(-1))],
        },
        new SandboxRecord
        {
            Id = "old-sbx", Team = "eval",
            Addresses = [new SandboxAddress("10.40.77.31", Incident.AddDays(-30), Incident.AddDays(-1))],
        },
    ]);

    private static EventBatch FirewallEvent(DateTimeOffset time, string sourceIp, string? sandboxId = null)
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "azure-firewall");
        batch.Set(EcsField.SourceIp, sourceIp);
        if (sandboxId is not null)
        {
            batch.Set(EcsField.SandboxId, sandboxId);
        }

        batch.SetTimestamp(time);
        batch.CommitEvent();
        return batch;
    }

    [Fact]
    public void Firewall_event_is_attributed_to_the_sandbox_holding_the_address_at_event_time()
    {
        var now = FirewallEvent(Incident, "10.40.77.31");
        var before = FirewallEvent(Incident.AddDays(-10), "10.40.77.31");

        new SandboxEnricher(Inventory).Enrich(now, 0);
        new SandboxEnricher(Inventory).Enrich(before, 0);

        Assert.Equal("rl-env-7731", now.Get(0, EcsField.SandboxId).ToString());
        Assert.Equal("rl", now.Get(0, EcsField.SandboxTeam).ToString());
        Assert.Equal("training", now.Get(0, EcsField.SandboxEnvironment).ToString());
        Assert.Equal("old-sbx", before.Get(0, EcsField.SandboxId).ToString());
    }

    [Fact]
    public void Unknown_address_stays_unattributed()
    {
        var batch = FirewallEvent(Incident, "10.40.99.99");
        new SandboxEnricher(Inventory).Enrich(batch, 0);
        Assert.False(batch.Has(0, EcsField.SandboxId));
    }

    [Fact]
    public void Sandbox_telemetry_keeps_its_own_id_and_gains_context()
    {
        var batch = FirewallEvent(Incident, "10.40.77.31", sandboxId: "old-sbx");
        new SandboxEnricher(Inventory).Enrich(batch, 0);
        Assert.Equal("old-sbx", batch.Get(0, EcsField.SandboxId).ToString());
        Assert.Equal("eval", batch.Get(0, EcsField.SandboxTeam).ToString());
    }

    [Theory]
    [InlineData(null, "rl-env-7731")]
    [InlineData("10.40.99.99", "rl-env-7731")]
    [InlineData("10.40.77.31", "rl-env-7731")]
    public void An_event_that_names_a_pod_is_attributed_by_it_when_its_address_says_nothing(string? sourceIp, string expected)
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "falco");
        batch.Set(EcsField.OrchestratorResourceName, "rl-env-7731");
        if (sourceIp is not null)
        {
            batch.Set(EcsField.SourceIp, sourceIp);
        }

        batch.SetTimestamp(Incident);
        batch.CommitEvent();

        new SandboxEnricher(Inventory).Enrich(batch, 0);

        Assert.Equal(expected, batch.GetString(0, EcsField.SandboxId));
        Assert.Equal("RL lead", batch.GetString(0, EcsField.SandboxOwner));
    }

    [Fact]
    public void A_pod_that_is_no_sandbox_stays_unattributed()
    {
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("s", 0, 0), "falco");
        batch.Set(EcsField.OrchestratorResourceName, "kube-proxy-x1");
        batch.SetTimestamp(Incident);
        batch.CommitEvent();

        new SandboxEnricher(Inventory).Enrich(batch, 0);

        Assert.False(batch.Has(0, EcsField.SandboxId));
    }
}
