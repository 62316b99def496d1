// The console's labels: Chinese first, English available. The choice is
// kept in sessionStorage with the rest of the session.
export type Lang = "zh" | "en";

const labels = {
  title: ["联合踏勘控制台", "Joint inspection console"],
  signin: ["登录", "Sign in"],
  signout: ["退出", "Sign out"],
  token: ["访问令牌", "Access token"],
  tokenHelp: [
    "由 inspectctl token issue 签发；只保存在本标签页的会话中。",
    "Issued by inspectctl token issue; kept only in this tab's session.",
  ],
  certSignin: ["使用客户端证书登录", "Sign in with my client certificate"],
  applications: ["申请件", "Applications"],
  tasks: ["踏勘任务", "Tasks"],
  alerts: ["预警", "Alerts"],
  department: ["部门工作台", "Department desk"],
  map: ["地图", "Map"],
  stage: ["阶段", "Stage"],
  town: ["镇街", "Town"],
  item: ["审批事项", "Service item"],
  search: ["搜索", "Search"],
  all: ["全部", "All"],
  filter: ["筛选", "Filter"],
  applicant: ["申请人", "Applicant"],
  site: ["场所地址", "Site"],
  facts: ["申报事实", "Declared facts"],
  team: ["踏勘组", "Team"],
  reason: ["理由", "Reason"],
  createTask: ["创建任务", "Create task"],
  autoAssign: ["自动组队", "Assign team automatically"],
  override: ["指定人员（越权须说明理由）", "Choose a member (override needs a reason)"],
  overrideApply: ["按指定组队", "Assign as chosen"],
  inspector: ["踏勘人员", "Inspector"],
  deadline: ["法定期限", "Deadline"],
  remaining: ["剩余", "Remaining"],
  overdue: ["已超期", "Overdue"],
  state: ["状态", "State"],
  ack: ["确认", "Acknowledge"],
  acked: ["已确认", "Acknowledged"],
  live: ["实时接收中", "Receiving live"],
  report: ["核对报告", "Reconciliation report"],
  declared: ["申报值", "Declared"],
  observed: ["实测值", "Observed"],
  verdict: ["结论", "Verdict"],
  photos: ["现场照片", "Photos"],
  opinions: ["部门意见", "Opinions"],
  giveOpinion: ["提交部门意见", "Give our opinion"],
  approve: ["同意", "Approve"],
  reject: ["不同意", "Reject"],
  reasons: ["意见说明", "Reasons"],
  submit: ["提交", "Submit"],
  decision: ["会商会审决定", "Joint decision"],
  departments: ["参与部门（逗号分隔）", "Departments taking part (comma separated)"],
  audit: ["审计记录", "Audit trail"],
  dossier: ["下载案卷", "Download dossier"],
  changes: ["变更推送", "Change feed"],
  ourTasks: ["本部门任务", "Our tasks"],
  toReview: ["待出具意见的报告", "Reports awaiting our opinion"],
  open: ["打开", "Open"],
  none: ["暂无", "None"],
  outcome: ["核对结果", "Outcome"],
  failures: ["不合格项", "Failed items"],
  language: ["English", "中文"],
  signedInAs: ["当前用户", "Signed in as"],
  loading: ["加载中…", "Loading…"],
  more: ["更多", "More"],
} as const;

export type Label = keyof typeof labels;

let lang: Lang = sessionStorage.getItem("lang") === "en" ? "en" : "zh";

export function t(key: Label): string {
  return labels[key][lang === "zh" ? 0 : 1];
}

export function currentLang(): Lang {
  return lang;
}

export function toggleLang(): void {
  lang = lang === "zh" ? "en" : "zh";
  sessionStorage.setItem("lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

const stageNames: Record<number, [string, string]> = {
  1: ["接件预审", "Intake"],
  2: ["后台审批", "Review"],
  3: ["现场踏勘", "Inspection"],
  4: ["审批决定", "Decision"],
  5: ["制证发证", "Certified"],
  6: ["档案管理", "Archived"],
};
const outcomeNames: Record<number, [string, string]> = {
  0: ["未踏勘", "Not inspected"],
  1: ["通过", "Pass"],
  2: ["整改", "Rectify"],
  3: ["不通过", "Fail"],
  4: ["会商会审", "Joint review"],
};
const taskStateNames: Record<number, [string, string]> = {
  1: ["待组队", "Pending"],
  2: ["已派单", "Assigned"],
  3: ["已接单", "Accepted"],
  4: ["现场中", "On site"],
  5: ["已提交", "Submitted"],
  6: ["已核对", "Reconciled"],
  7: ["已关闭", "Closed"],
  8: ["已取消", "Cancelled"],
};
const alertNames: Record<number, [string, string]> = {
  1: ["期限预警（75%）", "Deadline warning (75 %)"],
  2: ["已超期", "Overdue"],
  3: ["无合格人员", "Nobody qualified"],
  4: ["成员拒绝或被替换", "Member declined or replaced"],
  5: ["需会商会审", "Joint review needed"],
};
const verdictNames: Record<number, [string, string]> = {
  0: ["—", "—"],
  1: ["一致", "Match"],
  2: ["不一致", "Mismatch"],
  3: ["未测", "Missing"],
};

function pick(table: Record<number, [string, string]>, v: number): string {
  const e = table[v];
  return e ? e[lang === "zh" ? 0 : 1] : String(v);
}

export const stageName = (v: number) => pick(stageNames, v);
export const outcomeName = (v: number) => pick(outcomeNames, v);
export const taskStateName = (v: number) => pick(taskStateNames, v);
export const alertName = (v: number) => pick(alertNames, v);
export const verdictName = (v: number) => pick(verdictNames, v);
