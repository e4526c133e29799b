using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond;

/// <summary>The responder takes its channels from the stored policy, matched on the sandbox's team and environment.</summary>
public sealed class AlertResponderPolicyTests
{
    private readonly InMemoryAlertStore _store = new();
    private readonly RecordingChannel _email = new("email");
    private readonly RecordingChannel _teams = new("teams");
    private readonly RecordingChannel _shutdown = new("shutdown");
    private readonly InMemoryResponsePolicyStore _policies = new();

    private AlertResponder Responder() => new(_store, [_email, _teams, _shutdown], ResponsePolicy.Default)
    {
        Policies = new ResponsePolicyProvider(_policies, ResponsePolicy.Default, TimeSpan.FromMinutes(1)),
        Sandboxes = new SandboxSnapshotProvider(new InMemorySandboxInventory(
        [
            new SandboxRecord { Id = "rl-env-7731", Team = "research", Environment = "prod" },
            new SandboxRecord { Id = "eval-sbx-01", Team = "evals", Environment = "prod" },
        ]), TimeSpan.FromMinutes(1)),
    };

    [Fact]
    public async Task Channels_come_from_the_entry_matching_the_sandboxs_team_and_environment()
    {
        await _policies.PutAsync(new ResponsePolicyEntry { Id = "research-prod", Level = "critical", Team = "research", Environment = "prod", Channels = ["teams"] }, CancellationToken.None);
        var responder = Responder();

        var research = await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical), "rl-env-7731", ("hub/0", 1, 0, 0))], CancellationToken.None);
        var evals = await responder.RespondAsync([Candidate(Rule(AlertLevel.Critical), "eval-sbx-01", ("hub/0", 2, 0, 0))], CancellationToken.None);

        Assert.Equal(["teams"], research.Single().Actions.Select(a => a.Channel));
        Assert.Equal(["email", "teams", "shutdown"], evals.Single().Actions.Select(a => a.Channel));
        Assert.Equal([evals.Single().AlertId], _email.Sent);
    }

    [Fact]
    public async Task A_rule_entry_can_silence_a_rule_to_record_only()
    {
        var rule = Rule(AlertLevel.High, id: "noisy-rule");
        await _policies.PutAsync(new ResponsePolicyEntry { Id = "noisy", Level = "high", RuleId = "noisy-rule", Channels = [] }, CancellationToken.None);

        var alert = (await Responder().RespondAsync([Candidate(rule, "rl-env-7731", ("hub/0", 1, 0, 0))], CancellationToken.None)).Single();

        Assert.Empty(alert.Actions);
        Assert.NotNull(await _store.GetAsync(alert.AlertId, CancellationToken.None));
        Assert.Empty(_teams.Sent);
    }
}
