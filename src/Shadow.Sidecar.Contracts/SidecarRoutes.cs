namespace Shadow.Sidecar.Contracts;

/// <summary>The route of every sidecar endpoint; the sidecar maps them and <c>SidecarClient</c> calls them.</summary>
public static class SidecarRoutes
{
    /// <summary>Liveness, no authentication.</summary>
    public const string Health = "/health";
    /// <summary>Workspace info, version, uptime, git head.</summary>
    public const string Status = "/status";
    /// <summary>The OpenAPI document.</summary>
    public const string OpenApi = "/openapi/v1.json";

    /// <summary>File routes.</summary>
    public static class Files
    {
        /// <summary>GET ?path=&amp;offset=&amp;limit=.</summary>
        public const string Read = "/files/read";
        /// <summary>POST <c>WriteFileRequest</c>.</summary>
        public const string Write = "/files/write";
        /// <summary>POST <c>DeleteFileRequest</c>.</summary>
        public const string Delete = "/files/delete";
        /// <summary>GET ?path=.</summary>
        public const string Stats = "/files/stats";
        /// <summary>GET ?path=.</summary>
        public const string List = "/files/list";
        /// <summary>GET ?path=&amp;maxEntries=.</summary>
        public const string ListRecursive = "/files/list-recursive";
        /// <summary>POST <c>SearchReplaceRequest</c>.</summary>
        public const string SearchReplace = "/files/search-replace";
    }

    /// <summary>Search routes.</summary>
    public static class Search
    {
        /// <summary>GET ?query=&amp;limit= fuzzy file-name search.</summary>
        public const string Files = "/search/files";
        /// <summary>POST <c>GrepRequest</c>.</summary>
        public const string Grep = "/search/grep";
    }

    /// <summary>Command routes.</summary>
    public static class Exec
    {
        /// <summary>POST <c>ExecRequest</c>: run in the foreground.</summary>
        public const string Run = "/exec";
        /// <summary>POST <c>ExecRequest</c>: run, streamed as SSE.</summary>
        public const string Stream = "/exec/stream";
        /// <summary>POST starts, GET lists background commands.</summary>
        public const string Background = "/exec/background";

        /// <summary>Route pattern of <see cref="BackgroundOutput"/> (for mapping).</summary>
        public const string BackgroundOutputPattern = "/exec/background/{id}/output";
        /// <summary>Route pattern of <see cref="BackgroundKill"/> (for mapping).</summary>
        public const string BackgroundKillPattern = "/exec/background/{id}/kill";

        /// <summary>GET ?since=: a background command's output.</summary>
        public static string BackgroundOutput(string id) => $"/exec/background/{Uri.EscapeDataString(id)}/output";

        /// <summary>POST: kill a background command and its process group.</summary>
        public static string BackgroundKill(string id) => $"/exec/background/{Uri.EscapeDataString(id)}/kill";
    }

    /// <summary>Terminal buffer routes.</summary>
    public static class Terminal
    {
        /// <summary>GET ?since=&amp;limit=.</summary>
        public const string History = "/terminal/history";
        /// <summary>GET.</summary>
        public const string Stats = "/terminal/stats";
        /// <summary>POST.</summary>
        public const string Clear = "/terminal/clear";
        /// <summary>GET SSE; honours Last-Event-ID.</summary>
        public const string Stream = "/terminal/stream";
    }

    /// <summary>Git routes.</summary>
    public static class Git
    {
        /// <summary>POST <c>GitCloneRequest</c>.</summary>
        public const string Clone = "/git/clone";
        /// <summary>POST <c>GitConfigRequest</c>.</summary>
        public const string Config = "/git/config";
        /// <summary>POST <c>GitBranchRequest</c>.</summary>
        public const string Branch = "/git/branch";
        /// <summary>POST <c>GitCheckoutRequest</c>.</summary>
        public const string Checkout = "/git/checkout";
        /// <summary>GET.</summary>
        public const string Status = "/git/status";
        /// <summary>GET ?base=.</summary>
        public const string Diff = "/git/diff";
        /// <summary>POST <c>GitCommitRequest</c>.</summary>
        public const string Commit = "/git/commit";
        /// <summary>POST <c>GitResetRequest</c>.</summary>
        public const string Reset = "/git/reset";
        /// <summary>POST <c>GitPushRequest</c>.</summary>
        public const string Push = "/git/push";
        /// <summary>GET ?limit=.</summary>
        public const string Log = "/git/log";
        /// <summary>GET: current branch and commit.</summary>
        public const string Head = "/git/head";
        /// <summary>GET ?base=.</summary>
        public const string ChangedFiles = "/git/changed-files";
    }

    /// <summary>File watcher routes.</summary>
    public static class Watch
    {
        /// <summary>GET ?since=.</summary>
        public const string Events = "/watch/events";
        /// <summary>GET SSE; honours Last-Event-ID.</summary>
        public const string Stream = "/watch/stream";
        /// <summary>POST.</summary>
        public const string Pause = "/watch/pause";
        /// <summary>POST.</summary>
        public const string Resume = "/watch/resume";
        /// <summary>GET.</summary>
        public const string Status = "/watch/status";
    }
}
