using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static AlertPipeline.Core.Tests.Respond.RespondTestKit;

namespace AlertPipeline.Core.Tests.Respond.Audit;

/// <summary>Every outcome the dispatcher records on an alert is audited, and a failing audit log loses and blocks nothing.</summary>
public sealed class AuditTrailTests
{
    private readonly InMemoryAlertStore _store = new();
    private readonly InMemoryAuditLog _audit = new();
    private readonly List<NotificationMessage> _queued = [];

    private async Task<Alert> RaiseAsync(AlertLevel level, params string[] channels)
    {
        var outbox = new ListOutbox(_queued);
        var policy = new ResponsePolicy(new Dictionary<AlertLevel, IReadOnlyList<string>> { [level] = channels });
        return Assert.Single(await new AlertResponder(_store, outbox, policy, new ResponderOptions()).RespondAsync(
            [Candidate(Rule(level), "sbx-7", ("hub/0", 1, 0, 0))], CancellationToken.None));
    }

    [Fact]
    public async Task Sent_failed_suppressed_and_a_held_command_are_each_audited_with_channel_status_attempts_and_detail()
    {
        var alert = await RaiseAsync(AlertLevel.Critical, "email", "teams", "shutdown");
        var answers = new Queue<ChannelResult>([ChannelResult.Failed("HTTP 503"), ChannelResult.Sent("HTTP 202")]);
        var email = new RecordingChannel("email", _ => answers.Dequeue());
        var teams = new RecordingChannel("teams");
        var shutdown = new RecordingChannel("shutdown", _ => ChannelResult.AwaitingApproval("guardrail: fleet cap reached; awaiting a human's approval"));
        var rates = new InMemoryRateCounter();
        await rates.TryTakeAsync("teams", T0, TimeSpan.FromMinutes(10), 1, CancellationToken.None); // teams' only place is taken
        var options = new ResponderOptions { MaxPerChannelPerWindow = 1 };
        var dispatcher = new NotificationDispatcher(_store, [email, teams, shutdown], new InMemoryNotificationPoisonStore(), options,
            new FakeTimeProvider(T0), rates: rates, audit: new AuditTrail(_audit));

        foreach (var message in _queued.ToList())
        {
            await dispatcher.DispatchAsync(message, CancellationToken.None);
        }

        await dispatcher.DispatchAsync(new NotificationMessage(alert.AlertId, "email", 2), CancellationToken.None);
        await dispatcher.DispatchAsync(new NotificationMessage(alert.AlertId, "email", 3), CancellationToken.None); // a redelivery: nothing new

        var entries = await _audit.ListByAlertAsync(alert.AlertId, 100, CancellationToken.None);
        Assert.Equal(
            [("email", "failed", AuditKind.Notification), ("email", "sent", AuditKind.Notification),
             ("shutdown", "awaitingapproval", AuditKind.Command), ("teams", "suppressed", AuditKind.Notification)],
            entries.Select(e => (e.Action, e.Outcome, e.Kind)).Order());
        Assert.All(entries, e => Assert.Equal(("sbx-7", "pipeline"), (e.SandboxId, e.Actor)));
        Assert.Contains(entries, e => e.Outcome == "failed" && e.Detail == "attempt 1: HTTP 503");
        Assert.Contains(entries, e => e.Outcome == "sent" && e.Detail == "attempt 2: HTTP 202");
        Assert.Contains(entries, e => e.Kind == AuditKind.Command && e.Detail!.Contains("fleet cap", StringComparison.Ordinal));
        Assert.Empty(teams.Sent);
    }

    [Fact]
    public async Task A_failing_audit_log_is_logged_and_the_notification_is_still_sent_and_recorded()
    {
        var alert = await RaiseAsync(AlertLevel.High, "email");
        var email = new RecordingChannel("email");
        var logger = new ListLogger();
        var dispatcher = new NotificationDispatcher(_store, [email], new InMemoryNotificationPoisonStore(),
            audit: new AuditTrail(new BrokenAuditLog(), logger));

        var outcome = await dispatcher.DispatchAsync(Assert.Single(_queued), CancellationToken.None);

        Assert.Equal(DispatchKind.Done, outcome.Kind);
        Assert.Single(email.Sent);
        Assert.Equal(ActionStatus.Sent, (await _store.GetAsync(alert.AlertId, CancellationToken.None))!.ActionFor("email")!.Status);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains("storage is down", line.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_swallowed()
    {
        var trail = new AuditTrail(new BrokenAuditLog(new OperationCanceledException()));
        await Assert.ThrowsAsync<OperationCanceledException>(() => trail.RecordAsync(
            new AuditEntry { EntryId = "x", At = T0, Kind = AuditKind.Notification, AlertId = "a", SandboxId = "s", Action = "email", Outcome = "sent" },
            CancellationToken.None));
    }

    private sealed class ListOutbox(List<NotificationMessage> queued) : INotificationOutbox
    {
        public Task EnqueueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            queued.Add(message);
            return Task.CompletedTask;
        }
    }

    private sealed class BrokenAuditLog(Exception? error = null) : IAuditLog
    {
        public Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken) => throw error ?? new IOException("storage is down");

        public Task<IReadOnlyList<AuditEntry>> ListByAlertAsync(string alertId, int max, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<AuditEntry>> ListBySandboxAsync(string sandboxId, DateTimeOffset since, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

/// <summary>A logger that keeps its lines.</summary>
internal sealed class ListLogger : ILogger<AuditTrail>
{
    public List<(LogLevel Level, string Text)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Add((logLevel, formatter(state, exception)));
}
