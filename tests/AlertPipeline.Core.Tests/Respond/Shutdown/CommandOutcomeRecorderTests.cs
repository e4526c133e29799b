using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Shutdown;

namespace AlertPipeline.Core.Tests.Respond.Shutdown;

/// <summary>Only a controller's signed answer to the command the pipeline issued reaches the alert; the rest is refused and audited.</summary>
public sealed class CommandOutcomeRecorderTests
{
    private const string HostKey = "aG9zdC1hLXJlc3VsdC1rZXktMDEyMzQ1Njc4OWFiY2Q=";
    private static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 20, 0, TimeSpan.Zero);

    private readonly InMemoryAlertStore _store = new();
    private readonly InMemoryAuditLog _audit = new();
    private readonly OutcomeSigner _host = new(new Dictionary<string, string> { ["host-a"] = HostKey }, "host-a");

    private CommandOutcomeRecorder Recorder(OutcomeSigner? verifier = null)
        => new(_store, signer: verifier ?? new OutcomeSigner(new Dictionary<string, string> { ["host-a"] = HostKey }), audit: new AuditTrail(_audit));

    private async Task<Alert> AlertWithCommandAsync(string nonce = "n-issued")
    {
        var alert = new Alert
        {
            AlertId = "a1", RuleId = "r1", RulePack = "p", Title = "Miner", Level = AlertLevel.Critical, SandboxId = "sbx-1",
            Actions = [new ActionRecord { Channel = "shutdown", Status = ActionStatus.Sent, Attempts = 1, CommandNonce = nonce }],
        };
        Assert.True(await _store.TryAddAsync(alert, CancellationToken.None));
        return alert;
    }

    private static CommandOutcome Done(string nonce = "n-issued") => new()
    {
        CommandId = ShutdownChannel.CommandIdFor("a1"), AlertId = "a1", SandboxId = "sbx-1", Action = "shutdown",
        Status = "done", Detail = "hook exit 0", At = T0, Nonce = nonce,
    };

    private async Task<string?> OutcomeOnAlertAsync() => (await _store.GetAsync("a1", CancellationToken.None))!.ActionFor("shutdown")!.Outcome;

    [Fact]
    public async Task A_signed_answer_to_the_issued_command_is_recorded_and_audited_with_the_host_as_actor()
    {
        await AlertWithCommandAsync();

        Assert.True(await Recorder().RecordAsync(_host.Sign(Done()), CancellationToken.None));

        Assert.StartsWith("done: hook exit 0", await OutcomeOnAlertAsync(), StringComparison.Ordinal);
        var entry = Assert.Single(await _audit.ListByAlertAsync("a1", 10, CancellationToken.None));
        Assert.Equal((AuditKind.ControllerOutcome, "done", "controller:host-a", "sbx-1"), (entry.Kind, entry.Outcome, entry.Actor, entry.SandboxId));
    }

    public static TheoryData<string, string> Forgeries => new()
    {
        { "unsigned", "unsigned result" },
        { "tampered", "bad result signature" },
        { "unknown-key", "unknown result key" },
        { "other-nonce", "answers no command the pipeline issued (nonce differs)" },
        { "other-command", "matches no command the pipeline issued" },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_forged_or_foreign_result_is_refused_audited_and_leaves_the_alert_alone(string forgery, string reason)
    {
        var before = await AlertWithCommandAsync();
        var stranger = new OutcomeSigner(new Dictionary<string, string> { ["host-z"] = Convert.ToBase64String(new byte[32]) }, "host-z");
        var outcome = forgery switch
        {
            "unsigned" => Done(),
            "tampered" => _host.Sign(Done() with { Status = "failed" }) with { Status = "done" },
            "unknown-key" => stranger.Sign(Done()),
            "other-nonce" => _host.Sign(Done("n-guessed")),
            _ => _host.Sign(Done() with { CommandId = "0123456789abcdef0123456789abcdef" }),
        };

        Assert.False(await Recorder().RecordAsync(outcome, CancellationToken.None));

        Assert.Null(await OutcomeOnAlertAsync());
        Assert.Equal(before.ETag, (await _store.GetAsync("a1", CancellationToken.None))!.ETag);
        var entry = Assert.Single(await _audit.ListByAlertAsync("a1", 10, CancellationToken.None));
        Assert.Equal((AuditKind.ControllerOutcome, "refused"), (entry.Kind, entry.Outcome));
        Assert.StartsWith(reason + ";", entry.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_result_keys_every_outcome_is_refused()
    {
        await AlertWithCommandAsync();

        Assert.False(await new CommandOutcomeRecorder(_store, audit: new AuditTrail(_audit)).RecordAsync(_host.Sign(Done()), CancellationToken.None));

        Assert.Null(await OutcomeOnAlertAsync());
        Assert.Contains("no controller result keys", Assert.Single(await _audit.ListByAlertAsync("a1", 10, CancellationToken.None)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_outcome_stands_and_a_redelivered_result_is_one_audit_entry()
    {
        await AlertWithCommandAsync();
        var done = _host.Sign(Done());
        var replayRefusal = _host.Sign(Done() with { Status = "rejected", Detail = "replayed", At = T0.AddMinutes(1) });

        Assert.True(await Recorder().RecordAsync(done, CancellationToken.None));
        Assert.False(await Recorder().RecordAsync(done, CancellationToken.None));
        Assert.False(await Recorder().RecordAsync(replayRefusal, CancellationToken.None));

        Assert.StartsWith("done:", await OutcomeOnAlertAsync(), StringComparison.Ordinal);
        Assert.Equal(["done", "rejected"], (await _audit.ListByAlertAsync("a1", 10, CancellationToken.None)).Select(e => e.Outcome));
    }

    [Fact]
    public void The_signature_covers_every_field_and_keys_must_be_long_enough()
    {
        var signed = _host.Sign(Done());
        var verifier = new OutcomeSigner(new Dictionary<string, string> { ["host-a"] = HostKey });

        Assert.True(verifier.Verify(signed, out _));
        Assert.All(
            [signed with { CommandId = "x" }, signed with { Nonce = "x" }, signed with { AlertId = "x" }, signed with { SandboxId = "x" },
             signed with { Action = "suspend" }, signed with { Detail = "x" }, signed with { At = T0.AddSeconds(1) }],
            o => Assert.False(verifier.Verify(o, out _)));
        Assert.Throws<ArgumentException>(() => new OutcomeSigner(new Dictionary<string, string> { ["k"] = Convert.ToBase64String(new byte[16]) }));
        Assert.Throws<InvalidOperationException>(() => verifier.Sign(Done()));
    }
}
