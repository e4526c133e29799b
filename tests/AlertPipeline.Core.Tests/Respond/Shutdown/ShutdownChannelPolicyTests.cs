using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Time.Testing;

namespace AlertPipeline.Core.Tests.Respond.Shutdown;

/// <summary>The shutdown channel honours the policy's mode for the alert's rule and sandbox.</summary>
public sealed class ShutdownChannelPolicyTests
{
    private const string Key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 11, 14, 3, 20, 4, TimeSpan.Zero));
    private readonly InMemoryShutdownCommandQueue _queue = new();
    private readonly InMemoryShutdownLedger _ledger = new();
    private readonly InMemoryResponsePolicyStore _policies = new();

    private ShutdownChannel Channel(int maxPerHour = 10) => new(_queue, new CommandSigner(Key, "k1", _time),
        new SandboxSnapshotProvider(new InMemorySandboxInventory(
        [
            new SandboxRecord { Id = "rl-env-7731", Team = "research", Environment = "prod" },
            new SandboxRecord { Id = "rl-env-7732", Team = "research", Environment = "training" },
            new SandboxRecord { Id = "eval-sbx-01", Team = "evals" },
        ]), TimeSpan.FromMinutes(1), _time),
        new ShutdownOptions { MaxPerHour = maxPerHour }, _time, _ledger)
    {
        Policies = new ResponsePolicyProvider(_policies, ResponsePolicy.Default, TimeSpan.FromMinutes(1), _time),
    };

    private static Alert AlertFor(string sandbox, string id = "a1", string rule = "r1") => new()
    {
        AlertId = id,
        RuleId = rule,
        RulePack = "default",
        Title = "Crypto miner on GPUs",
        Level = AlertLevel.Critical,
        SandboxId = sandbox,
    };

    private Task Put(string id, string shutdown, string? team = null, string? env = null, string? rule = null)
        => _policies.PutAsync(new ResponsePolicyEntry
        {
            Id = id, Level = "critical", Team = team, Environment = env, RuleId = rule, Channels = ["email", "shutdown"], Shutdown = shutdown,
        }, CancellationToken.None);

    [Fact]
    public async Task Off_skips_with_the_policy_as_reason()
    {
        await Put("research", "off", team: "research");

        var result = await Channel().SendAsync(AlertFor("rl-env-7731"), CancellationToken.None);

        Assert.Equal(ActionStatus.Skipped, result.Status);
        Assert.Equal("policy: shutdown off", result.Detail);
        Assert.Empty(_queue.Messages);
    }

    [Fact]
    public async Task Approval_waits_for_a_human_without_sending_or_taking_a_place_under_the_cap()
    {
        await Put("research-prod", "approval", team: "research", env: "prod");
        var channel = Channel(maxPerHour: 1);

        var held = await channel.SendAsync(AlertFor("rl-env-7731", "a1"), CancellationToken.None);
        var other = await channel.SendAsync(AlertFor("rl-env-7732", "a2"), CancellationToken.None);

        Assert.Equal(ActionStatus.AwaitingApproval, held.Status);
        Assert.Equal("policy: shutdown needs a human's approval", held.Detail);
        Assert.Equal(ActionStatus.Sent, other.Status); // training is automatic, and the held one did not use the cap of 1
        Assert.Equal("rl-env-7732", new CommandSigner(Key, "k1", _time).Verify(Assert.Single(_queue.Messages).Message, out _)!.SandboxId);
    }

    [Fact]
    public async Task A_rule_entry_outranks_the_team_entry()
    {
        await Put("research", "off", team: "research");
        await Put("miner", "automatic", rule: "miner-rule");

        Assert.Equal(ActionStatus.Sent, (await Channel().SendAsync(AlertFor("rl-env-7731", rule: "miner-rule"), CancellationToken.None)).Status);
        Assert.Equal(ActionStatus.Skipped, (await Channel().SendAsync(AlertFor("rl-env-7732", "a2"), CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Without_a_matching_entry_shutdown_stays_automatic()
    {
        await Put("research", "off", team: "research");

        Assert.Equal(ActionStatus.Sent, (await Channel().SendAsync(AlertFor("eval-sbx-01"), CancellationToken.None)).Status);
    }
}
