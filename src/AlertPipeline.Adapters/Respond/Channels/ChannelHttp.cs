using System.Globalization;
using System.Net.Http.Headers;
using AlertPipeline.Adapters.Respond.Channels.SendGrid;
using AlertPipeline.Core.Respond.Channels;

namespace AlertPipeline.Adapters.Respond.Channels;

/// <summary>HTTP outcome rules shared by the email and Teams channels.</summary>
internal static class ChannelHttp
{
    /// <summary>429 and 5xx are worth retrying; other failures will fail the same way again.</summary>
    public static bool IsRetryable(int status) => status == 429 || status >= 500;

    /// <summary>
    /// The failed result for an HTTP error <paramref name="status"/>: <c>HTTP 503 (retryable), Retry-After 30s: error</c>
    /// or <c>HTTP 400 (not retryable): error</c>, so every channel reports delivery failures alike.
    /// </summary>
    public static ChannelResult Failure(int status, HttpResponseHeaders? headers, string? error = null)
    {
        var suffix = error is null ? string.Empty : $": {error}";
        return IsRetryable(status)
            ? ChannelResult.Failed($"HTTP {status} (retryable){RetryAfter(headers)}{suffix}") with { RetryAfter = RetryDelay(headers, DateTimeOffset.UtcNow) }
            : ChannelResult.Failed($"HTTP {status} (not retryable){suffix}") with { Permanent = true };
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds, or an HTTP date relative to <paramref name="now"/>), or null.</summary>
    public static TimeSpan? RetryDelay(HttpResponseHeaders? headers, DateTimeOffset now)
    {
        var retry = headers?.RetryAfter;
        if (retry?.Delta is { } delta)
        {
            return delta;
        }

        return retry?.Date is { } date && date > now ? date - now : null;
    }

    /// <summary>The failed result when the channel's own timeout (not the caller) ended the request; retryable.</summary>
    public static ChannelResult TimedOut(TimeSpan timeout)
        => ChannelResult.Failed($"timeout after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s (retryable)");

    /// <summary><c>, Retry-After 30s</c> (or an absolute time) when the response asked for a delay, else empty.</summary>
    public static string RetryAfter(HttpResponseHeaders? headers)
    {
        var retry = headers?.RetryAfter;
        if (retry?.Delta is { } delta)
        {
            return $", Retry-After {((long)delta.TotalSeconds).ToString(CultureInfo.InvariantCulture)}s";
        }

        return retry?.Date is { } date ? $", Retry-After {AlertLinks.Iso(date)}" : string.Empty;
    }

    /// <summary>The first value of header <paramref name="name"/>, or null.</summary>
    public static string? Header(HttpResponseHeaders? headers, string name)
        => headers is not null && headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
