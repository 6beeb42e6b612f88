package io.tensorplane.nvmf.pdu;

import io.tensorplane.nvmf.admin.IdentifyController;
import io.tensorplane.nvmf.admin.IdentifyNamespace;
import io.tensorplane.nvmf.admin.LogPages;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.discovery.DiscoveryLogPage;
import io.tensorplane.nvmf.fabrics.ConnectCommand;
import io.tensorplane.nvmf.fabrics.ConnectData;
import io.tensorplane.nvmf.fabrics.PropertyCommand;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every wire structure's size and field offsets against the Linux 6.12 headers
 * (include/linux/nvme-tcp.h, include/linux/nvme.h): the numbers below were read off those structs.
 */
class WireLayoutTest {

    @Test
    void nvmeTcpHeader() {
        // struct nvme_tcp_hdr { u8 type; u8 flags; u8 hlen; u8 pdo; __le32 plen; }
        assertEquals(0, Pdu.TYPE);
        assertEquals(1, Pdu.FLAGS);
        assertEquals(2, Pdu.HLEN);
        assertEquals(3, Pdu.PDO);
        assertEquals(4, Pdu.PLEN);
        assertEquals(8, Pdu.COMMON_HEADER_SIZE);
        assertEquals(4, Pdu.DIGEST_LENGTH);
        assertEquals(8192, Pdu.ADMIN_CCSZ);
        assertEquals(8009, Pdu.DISCOVERY_PORT);
        // enum nvme_tcp_pdu_type and nvme_tcp_pdu_flags
        assertEquals(0x0, Pdu.ICREQ);
        assertEquals(0x1, Pdu.ICRESP);
        assertEquals(0x2, Pdu.H2C_TERM);
        assertEquals(0x3, Pdu.C2H_TERM);
        assertEquals(0x4, Pdu.CMD);
        assertEquals(0x5, Pdu.RSP);
        assertEquals(0x6, Pdu.H2C_DATA);
        assertEquals(0x7, Pdu.C2H_DATA);
        assertEquals(0x9, Pdu.R2T);
        assertEquals(1, Pdu.F_HDGST);
        assertEquals(2, Pdu.F_DDGST);
        assertEquals(4, Pdu.F_DATA_LAST);
        assertEquals(8, Pdu.F_DATA_SUCCESS);
    }

    @Test
    void icReqIcResp() {
        // struct nvme_tcp_icreq_pdu { hdr; __le16 pfv; u8 hpda; u8 digest; __le32 maxr2t; u8 rsvd2[112]; }
        assertEquals(8, IcReqPdu.PFV);
        assertEquals(10, IcReqPdu.HPDA);
        assertEquals(11, IcReqPdu.DIGEST);
        assertEquals(12, IcReqPdu.MAXR2T);
        assertEquals(12 + 4 + 112, IcReqPdu.SIZE);
        // struct nvme_tcp_icresp_pdu { hdr; __le16 pfv; u8 cpda; u8 digest; __le32 maxdata; u8 rsvd[112]; }
        assertEquals(8, IcRespPdu.PFV);
        assertEquals(10, IcRespPdu.CPDA);
        assertEquals(11, IcRespPdu.DIGEST);
        assertEquals(12, IcRespPdu.MAXDATA);
        assertEquals(128, IcRespPdu.SIZE);
    }

    @Test
    void termCmdRspR2tData() {
        // struct nvme_tcp_term_pdu { hdr; __le16 fes; __le32 fei; u8 rsvd[8]; } -- 24 bytes
        assertEquals(8, TermReqPdu.FES);
        assertEquals(24, TermReqPdu.HLEN);
        assertEquals(1, TermReqPdu.FES_INVALID_PDU_HDR);
        assertEquals(2, TermReqPdu.FES_PDU_SEQ_ERR);
        assertEquals(3, TermReqPdu.FES_HDR_DIGEST_ERR);
        assertEquals(4, TermReqPdu.FES_DATA_OUT_OF_RANGE);
        assertEquals(5, TermReqPdu.FES_DATA_LIMIT_EXCEEDED);
        assertEquals(6, TermReqPdu.FES_UNSUPPORTED_PARAM);
        // struct nvme_tcp_cmd_pdu { hdr; struct nvme_command cmd; }
        assertEquals(8, CapsuleCmdPdu.SQE);
        assertEquals(72, CapsuleCmdPdu.HLEN);
        // struct nvme_tcp_rsp_pdu { hdr; struct nvme_completion cqe; }
        assertEquals(8, CapsuleRespPdu.CQE);
        assertEquals(24, CapsuleRespPdu.HLEN);
        // struct nvme_tcp_r2t_pdu { hdr; u16 command_id; u16 ttag; __le32 r2t_offset; __le32 r2t_length; u8 rsvd[4]; }
        assertEquals(8, R2TPdu.CCCID);
        assertEquals(10, R2TPdu.TTAG);
        assertEquals(12, R2TPdu.R2TO);
        assertEquals(16, R2TPdu.R2TL);
        assertEquals(24, R2TPdu.HLEN);
        // struct nvme_tcp_data_pdu { hdr; u16 command_id; u16 ttag; __le32 data_offset; __le32 data_length; u8 rsvd[4]; }
        assertEquals(8, DataPdu.CCCID);
        assertEquals(10, DataPdu.TTAG);
        assertEquals(12, DataPdu.DATAO);
        assertEquals(16, DataPdu.DATAL);
        assertEquals(24, DataPdu.HLEN);
    }

    @Test
    void submissionAndCompletionEntries() {
        // struct nvme_common_command / nvme_rw_command / nvme_sgl_desc
        assertEquals(0, Sqe.OPCODE);
        assertEquals(1, Sqe.FLAGS);
        assertEquals(2, Sqe.COMMAND_ID);
        assertEquals(4, Sqe.NSID);
        assertEquals(16, Sqe.METADATA);
        assertEquals(24, Sqe.DPTR);
        assertEquals(24, Sqe.SGL_ADDR);
        assertEquals(32, Sqe.SGL_LENGTH);
        assertEquals(39, Sqe.SGL_TYPE);
        assertEquals(40, Sqe.CDW10);
        assertEquals(60, Sqe.CDW15);
        assertEquals(40, Sqe.RW_SLBA);
        assertEquals(48, Sqe.RW_LENGTH);
        assertEquals(50, Sqe.RW_CONTROL);
        assertEquals(1 << 14, Sqe.RW_FUA);
        assertEquals(64, Sqe.SIZE);
        assertEquals(0x01, Sqe.SGL_INCAPSULE);
        assertEquals(0x5A, Sqe.SGL_TRANSPORT);
        // struct nvme_completion { union nvme_result result (8); __le16 sq_head; __le16 sq_id; u16 command_id; __le16 status; }
        assertEquals(0, Cqe.RESULT);
        assertEquals(8, Cqe.SQ_HEAD);
        assertEquals(10, Cqe.SQ_ID);
        assertEquals(12, Cqe.COMMAND_ID);
        assertEquals(14, Cqe.STATUS);
        assertEquals(16, Cqe.SIZE);
    }

    @Test
    void fabricsCommands() {
        // struct nvmf_connect_command { opcode; resv1; command_id; fctype; resv2[19]; dptr; __le16 recfmt; __le16 qid;
        //                               __le16 sqsize; u8 cattr; u8 resv3; __le32 kato; u8 resv4[12]; }
        assertEquals(4, ConnectCommand.FCTYPE);
        assertEquals(40, ConnectCommand.RECFMT);
        assertEquals(42, ConnectCommand.QID);
        assertEquals(44, ConnectCommand.SQSIZE);
        assertEquals(46, ConnectCommand.CATTR);
        assertEquals(48, ConnectCommand.KATO);
        assertEquals(48 + 4 + 12, ConnectCommand.SIZE);
        assertEquals(1 << 2, ConnectCommand.CATTR_DISABLE_SQFLOW);
        // struct nvmf_connect_data { uuid_t hostid; __le16 cntlid; char resv4[238]; char subsysnqn[256]; char hostnqn[256]; char resv5[256]; }
        assertEquals(0, ConnectData.HOSTID);
        assertEquals(16, ConnectData.CNTLID);
        assertEquals(16 + 2 + 238, ConnectData.SUBSYSNQN);
        assertEquals(512, ConnectData.HOSTNQN);
        assertEquals(1024, ConnectData.SIZE);
        // struct nvmf_property_get/set_command { ... resv2[35]; u8 attrib; resv3[3]; __le32 offset; __le64 value; }
        assertEquals(5 + 35, PropertyCommand.ATTRIB);
        assertEquals(44, PropertyCommand.OFFSET);
        assertEquals(48, PropertyCommand.VALUE);
        // struct nvme_bar
        assertEquals(0x00, PropertyCommand.CAP);
        assertEquals(0x08, PropertyCommand.VS);
        assertEquals(0x14, PropertyCommand.CC);
        assertEquals(0x1c, PropertyCommand.CSTS);
    }

    @Test
    void identifyStructures() {
        // struct nvme_id_ctrl
        assertEquals(4, IdentifyController.SN);
        assertEquals(24, IdentifyController.MN);
        assertEquals(64, IdentifyController.FR);
        assertEquals(72, IdentifyController.RAB);
        assertEquals(76, IdentifyController.CMIC);
        assertEquals(77, IdentifyController.MDTS);
        assertEquals(78, IdentifyController.CNTLID);
        assertEquals(80, IdentifyController.VER);
        assertEquals(92, IdentifyController.OAES);
        assertEquals(96, IdentifyController.CTRATT);
        assertEquals(111, IdentifyController.CNTRLTYPE);
        assertEquals(256, IdentifyController.OACS);
        assertEquals(259, IdentifyController.AERL);
        assertEquals(261, IdentifyController.LPA);
        assertEquals(320, IdentifyController.KAS);
        assertEquals(512, IdentifyController.SQES);
        assertEquals(513, IdentifyController.CQES);
        assertEquals(514, IdentifyController.MAXCMD);
        assertEquals(516, IdentifyController.NN);
        assertEquals(520, IdentifyController.ONCS);
        assertEquals(525, IdentifyController.VWC);
        assertEquals(536, IdentifyController.SGLS);
        assertEquals(540, IdentifyController.MNAN);
        assertEquals(768, IdentifyController.SUBNQN);
        assertEquals(1792, IdentifyController.IOCCSZ);
        assertEquals(1796, IdentifyController.IORCSZ);
        assertEquals(1800, IdentifyController.ICDOFF);
        assertEquals(1802, IdentifyController.CTRATTR);
        assertEquals(1803, IdentifyController.MSDBD);
        assertEquals(1806, IdentifyController.DCTYPE);
        assertEquals(2048, IdentifyController.PSD);
        assertEquals(3072, IdentifyController.VS);
        assertEquals(4096, IdentifyController.SIZE);
        // struct nvme_id_ns
        assertEquals(0, IdentifyNamespace.NSZE);
        assertEquals(8, IdentifyNamespace.NCAP);
        assertEquals(16, IdentifyNamespace.NUSE);
        assertEquals(24, IdentifyNamespace.NSFEAT);
        assertEquals(25, IdentifyNamespace.NLBAF);
        assertEquals(26, IdentifyNamespace.FLBAS);
        assertEquals(30, IdentifyNamespace.NMIC);
        assertEquals(33, IdentifyNamespace.DLFEAT);
        assertEquals(99, IdentifyNamespace.NSATTR);
        assertEquals(104, IdentifyNamespace.NGUID);
        assertEquals(120, IdentifyNamespace.EUI64);
        assertEquals(128, IdentifyNamespace.LBAF);
        assertEquals(2, IdentifyNamespace.LBAF_DS);
        assertEquals(4, IdentifyNamespace.DESC_HEADER);
        assertEquals(2, IdentifyNamespace.NIDT_NGUID);
        assertEquals(3, IdentifyNamespace.NIDT_UUID);
        assertEquals(4, IdentifyNamespace.NIDT_CSI);
    }

    @Test
    void logPages() {
        assertEquals(64, LogPages.ERROR_ENTRY_SIZE);
        assertEquals(512, LogPages.SMART_SIZE);
        assertEquals(32, LogPages.SMART_DATA_UNITS_READ);
        assertEquals(64, LogPages.SMART_HOST_READS);
        assertEquals(512, LogPages.FW_SIZE);
        assertEquals(8, LogPages.FW_FRS1);
        assertEquals(1024, LogPages.EFFECTS_IOCS);
        assertEquals(4096, LogPages.EFFECTS_SIZE);
        // struct nvmf_disc_rsp_page_hdr { __le64 genctr; __le64 numrec; __le16 recfmt; u8 resv14[1006]; entries[] }
        assertEquals(0, DiscoveryLogPage.GENCTR);
        assertEquals(8, DiscoveryLogPage.NUMREC);
        assertEquals(16, DiscoveryLogPage.RECFMT);
        assertEquals(18 + 1006, DiscoveryLogPage.HEADER_SIZE);
        // struct nvmf_disc_rsp_page_entry
        assertEquals(0, DiscoveryLogPage.E_TRTYPE);
        assertEquals(1, DiscoveryLogPage.E_ADRFAM);
        assertEquals(2, DiscoveryLogPage.E_SUBTYPE);
        assertEquals(3, DiscoveryLogPage.E_TREQ);
        assertEquals(4, DiscoveryLogPage.E_PORTID);
        assertEquals(6, DiscoveryLogPage.E_CNTLID);
        assertEquals(8, DiscoveryLogPage.E_ASQSZ);
        assertEquals(10, DiscoveryLogPage.E_EFLAGS);
        assertEquals(32, DiscoveryLogPage.E_TRSVCID);
        assertEquals(256, DiscoveryLogPage.E_SUBNQN);
        assertEquals(512, DiscoveryLogPage.E_TRADDR);
        assertEquals(768, DiscoveryLogPage.E_TSAS);
        assertEquals(1024, DiscoveryLogPage.ENTRY_SIZE);
        assertEquals(3, DiscoveryLogPage.TRTYPE_TCP);
    }

    @Test
    void statusValues() {
        assertEquals(0x4000, Status.DNR);
        assertEquals(0x180, Status.CONNECT_FORMAT);
        assertEquals(0x182, Status.CONNECT_INVALID_PARAM);
        assertEquals(0x184, Status.CONNECT_INVALID_HOST);
        assertEquals(0x0b, Status.INVALID_NS);
        assertEquals(0x80, Status.LBA_RANGE);
        assertEquals(0x22, Status.TRANSIENT_TR_ERR);
    }
}
