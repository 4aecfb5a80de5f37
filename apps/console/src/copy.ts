/**
 * Every word the console shows (Korean: support staff are the team's). States, hold reasons and errors by code.
 * A fork edits this file to change wording.
 */
import { errorData } from './trpc';

export const stateLabel: Record<string, string> = {
  RECEIVED: '접수됨',
  HELD: '확인 필요',
  GRANTED: '지급됨',
  REFUSED: '거절됨',
  REVOKED: '회수됨',
};

export const holdReasonLabel: Record<string, string> = {
  FAILED_NOT_SEEN_PAID: 'Toss가 실패로 읽고, 결제된 기록이 없음',
  UNVERIFIED_SKU: '결제는 확인됐지만 상품을 Toss가 알려주지 않았고, 지금 판매 중이 아님',
};

export const decisionLabel: Record<string, string> = {
  grant: '지급할 주문 (결제 완료)',
  hold: '확인 필요 (결제 여부 불명)',
  retry: '아직 진행 중: 잠시 후 다시 확인',
  refuse: '지급하지 않을 주문 (결제 안 됨·환불)',
};

export const actionLabel: Record<string, string> = {
  approve: '승인',
  deny: '거절',
  regrant: '다시 지급',
  revoke: '회수',
  credit: '보상 지급',
  approve_found_refunded: '승인 시 환불 확인',
  recheck: '재확인 적용',
};

const errorCopy: Record<string, string> = {
  UNAUTHORIZED: '다시 로그인해 주세요.',
  LOGIN_FAILED: '이름 또는 비밀번호가 맞지 않아요 (비활성화된 계정일 수도 있어요).',
  FORBIDDEN: '조회 권한만 있는 계정이에요. 승인·거절·지급·회수는 approver 계정만 할 수 있어요.',
  NOT_FOUND: '찾을 수 없어요. 주문 번호나 참조 번호를 확인해 주세요.',
  ALREADY_DECIDED: '이미 처리된 주문이에요.',
  NOT_POSSIBLE: '지금 상태에서는 할 수 없는 작업이에요.',
  RATE_LIMITED: '시도가 너무 많아요. 1분 뒤에 다시 해 주세요.',
  UPSTREAM_UNAVAILABLE: 'Toss가 지금 응답하지 않아요. 아무것도 바뀌지 않았어요. 잠시 후 다시 시도해 주세요.',
  BAD_REQUEST: '입력을 확인해 주세요.',
  INTERNAL: '서버 오류가 났어요. 아무것도 바뀌지 않았을 수 있으니 주문을 다시 열어 확인해 주세요.',
};

/** One sentence for an error, naming the state an order is in now and who moved it when the server says so. */
export function errorMessage(error: unknown): string {
  const data = errorData(error);
  const base = errorCopy[data.consoleCode ?? ''] ?? '요청을 처리하지 못했어요. 네트워크를 확인해 주세요.';
  if (!data.decided) return base;
  const by = data.decided.by ? ` · 처리: ${data.decided.by}` : '';
  const at = data.decided.at ? ` · ${formatTime(data.decided.at)}` : '';
  return `${base} 지금 상태: ${stateLabel[data.decided.state] ?? data.decided.state}${by}${at}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('ko-KR', { hour12: false });
}

export function formatAge(iso: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000));
  if (minutes < 60) return `${minutes}분`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}시간`;
  return `${Math.floor(hours / 24)}일`;
}

export function formatWon(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? '—' : `${amount.toLocaleString('ko-KR')}원`;
}
