import { useEffect, useState } from "react";
import { POSBlock, POSBlockRow, reactExtension, Text, useApi } from "@shopify/ui-extensions-react/point-of-sale";
import { fetchMember } from "./backend";
import type { MemberSummary } from "./member";
import { MemberView } from "./MemberView";

/** On the customer details screen: the same summary for the customer on the sale (no redeeming here: that is the modal's). */
function MemberBlock() {
  const api = useApi<"pos.customer-details.block.render">();
  const customerId = api.customer.id;
  const [member, setMember] = useState<MemberSummary | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    void fetchMember(api.session, customerId).then((answer) => {
      if (stopped) return;
      if (answer.ok) setMember(answer.member);
      else setProblem(answer.message);
    });
    return () => {
      stopped = true;
    };
  }, [api.session, customerId]);

  return (
    <POSBlock>
      <POSBlockRow>
        {member ? <MemberView member={member} busy={null} /> : <Text variant="body">{problem ?? "Loading the member's visits…"}</Text>}
      </POSBlockRow>
    </POSBlock>
  );
}

export default reactExtension("pos.customer-details.block.render", () => <MemberBlock />);
