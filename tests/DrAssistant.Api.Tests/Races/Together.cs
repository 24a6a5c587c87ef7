namespace DrAssistant.Api.Tests.Races;

/// <summary>
/// Requests released at the same instant: every request is built and waiting at a gate, and the gate opens once
/// for all of them, so they reach the API (and PostgreSQL) together rather than one after another.
/// </summary>
internal static class Together
{
    static Together()
    {
        // The thread pool grows slowly from two threads on a small machine; released requests must not queue behind it.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    public static async Task<T[]> RunAsync<T>(int count, Func<int, Task<T>> request)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = new CountdownEvent(count);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            waiting.Signal();
            await gate.Task;
            return await request(i);
        })).ToArray();
        waiting.Wait(TimeSpan.FromSeconds(30));
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    public static Task<T[]> RunAsync<T>(params Func<Task<T>>[] requests) => RunAsync(requests.Length, i => requests[i]());
}
