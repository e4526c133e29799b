using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Channels;

namespace AlertPipeline.Cli.Replay;

/// <summary>
/// Stands in for a real channel during a replay without <c>--send</c>: renders what would be sent and keeps it
/// for printing. The action is recorded as <see cref="ActionStatus.Printed"/>, never as sent.
/// </summary>
internal sealed class PreviewChannel(string name, Func<Alert, CancellationToken, Task<(ChannelResult Result, string? Rendered)>> render, List<Preview> previews) : INotificationChannel
{
    public string Name => name;

    public async Task<ChannelResult> SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var (result, rendered) = await render(alert, cancellationToken).ConfigureAwait(false);
        if (rendered is null)
        {
            return result; // e.g. a guardrail skipped the shutdown: report that, print nothing
        }

        lock (previews)
        {
            previews.Add(new Preview(name, alert.AlertId, rendered));
        }

        return new ChannelResult(ActionStatus.Printed, result.Detail);
    }
}

/// <summary>One rendered message that a replay would have sent.</summary>
internal sealed record Preview(string Channel, string AlertId, string Text);
